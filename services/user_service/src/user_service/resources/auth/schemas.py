"""Request and response bodies of the auth resource."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma

CREDENTIAL_MAX = 1024
"""Longest username, email or password a login accepts (bounds the hashing work)."""


_IDENTIFIER = (
    ma.validate.Length(min=1, max=CREDENTIAL_MAX),
    # No account has one, and PostgreSQL's text cannot even hold it to compare.
    ma.validate.Regexp(r"^[^\x00]*$", error="Must not contain a NUL character."),
)


class LoginSchema(ma.Schema):
    OPENAPI: ClassVar[dict[str, Any]] = {
        "oneOf": [{"required": ["username"]}, {"required": ["email"]}]
    }

    username = ma.fields.String(validate=_IDENTIFIER)
    email = ma.fields.String(validate=_IDENTIFIER)
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=CREDENTIAL_MAX)
    )

    @ma.validates_schema
    def one_identifier(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("username" in data) == ("email" in data):
            raise ma.ValidationError("Give either username or email.", "username")


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String(metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(metadata={"description": "Seconds the access token lives"})
