"""Request and response bodies of the users resource."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma

from conveyor_shared.api import list_args_schema, page_schema

from ...models import ROLES, TIERS

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$", re.ASCII)
"""3-32 letters, digits, ``_``, ``.`` or ``-``; stored lower-case."""

PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 254


class Username(ma.fields.String):
    """A username, checked as typed and then lower-cased."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not USERNAME.match(text):
            raise ma.ValidationError(
                "Use 3 to 32 characters: letters a-z, digits, '_', '.' or '-'."
            )
        return text.lower()


class LowerEmail(ma.fields.Email):
    """A valid email address, lower-cased."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=ma.validate.Length(max=EMAIL_MAX), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).lower()


def validate_password(password: str) -> None:
    """8-128 characters, not all the same one."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ma.ValidationError(f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    if len(set(password)) == 1:
        raise ma.ValidationError("The password may not be one character repeated.")


class PasswordRules(ma.Schema):
    """The rule that needs two fields: the password is not the username."""

    @ma.validates_schema
    def password_is_not_username(self, data: dict[str, Any], **_kwargs: Any) -> None:
        password, username = data.get("password"), data.get("username")
        if password and username and password.lower() == username:
            raise ma.ValidationError("The password may not equal the username.", "password")


class SignupSchema(PasswordRules):
    username = Username(required=True)
    email = LowerEmail(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=validate_password)


class UserUpdateSchema(PasswordRules):
    username = Username()
    email = LowerEmail()
    password = ma.fields.String(load_only=True, validate=validate_password)
    current_password = ma.fields.String(
        load_only=True, validate=ma.validate.Length(max=PASSWORD_MAX)
    )
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES), metadata={"description": "admin"})
    tier = ma.fields.String(validate=ma.validate.OneOf(TIERS), metadata={"description": "admin"})

    @ma.validates_schema
    def not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Give at least one field to change.")


class UserSchema(ma.Schema):
    """A user; ``email`` only appears for the user themself and for admins."""

    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String(dump_only=True)
    email = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True)
    tier = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


UserListArgs = list_args_schema(["id", "username", "created_at"], "id", name="UserListArgs")
UserPage = page_schema(UserSchema, "UserPage")
