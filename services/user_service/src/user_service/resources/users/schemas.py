"""Request and response bodies of the users resource."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import marshmallow as ma

from conveyor_web.api import UserIdList, list_args_schema, page_schema

from ...models import ROLES, TIERS

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$", re.ASCII)
"""3-32 letters, digits, ``_``, ``.`` or ``-``; stored lower-case."""

PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 254

TWO_DIFFERENT_CHARACTERS = r"([\s\S])(?!\1)[\s\S]"
"""ECMA and Python regex (unanchored): somewhere, a character followed by another one."""


class Username(ma.fields.String):
    """A username, checked as typed and then lower-cased."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"pattern": USERNAME.pattern}, **kwargs)

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


def not_one_character(password: str) -> None:
    """Refuse a password that is one character repeated."""
    if len(set(password)) == 1:
        raise ma.ValidationError("The password may not be one character repeated.")


PASSWORD_RULES = (
    ma.validate.Length(
        min=PASSWORD_MIN,
        max=PASSWORD_MAX,
        error=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
    ),
    not_one_character,
)
"""8-128 characters, not all the same one (the document says so with a pattern)."""


def password_field(**kwargs: Any) -> ma.fields.String:
    """A new password, write-only."""
    metadata = {"pattern": TWO_DIFFERENT_CHARACTERS}
    return ma.fields.String(load_only=True, validate=PASSWORD_RULES, metadata=metadata, **kwargs)


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
    password = password_field(required=True)


class UserUpdateSchema(PasswordRules):
    # An owner setting a new password also gives the current one (an admin need not).
    OPENAPI: ClassVar[dict[str, Any]] = {
        "minProperties": 1,
        "anyOf": [{"not": {"required": ["password"]}}, {"required": ["current_password"]}],
    }

    username = Username()
    email = LowerEmail()
    password = password_field()
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


_ListBase = list_args_schema(["id", "username", "created_at"], "id", name="UserListBase")


class UserListArgs(_ListBase):  # type: ignore[misc,valid-type]
    """Paging and sorting, and optionally only the users whose ids are given."""

    ids = UserIdList(
        metadata={"description": "Only these users: comma-separated ids, at most 100."}
    )


UserPage = page_schema(UserSchema, "UserPage")
