"""The sign-up validation table, shared by every interface that creates a user (REST and
GraphQL), so both are held to the same rows."""

from __future__ import annotations

from typing import Any

INVALID_SIGN_UPS: list[tuple[dict[str, Any], str]] = [
    ({"username": None}, "username"),
    ({"username": ""}, "username"),
    ({"username": "ab"}, "username"),
    ({"username": "a" * 33}, "username"),
    ({"username": "al ice"}, "username"),
    ({"username": "alice!"}, "username"),
    ({"username": "ålice"}, "username"),
    ({"username": "\u212aelvin"}, "username"),  # Kelvin sign lower-cases to ASCII "k"
    ({"username": 12345}, "username"),
    ({"email": None}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "alice@"}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"email": ["alice@example.com"]}, "email"),
    ({"password": None}, "password"),
    ({"password": "short7!"}, "password"),
    ({"password": "ab" * 64 + "c"}, "password"),
    ({"password": "aaaaaaaaaa"}, "password"),
    ({"username": "alicealice", "password": "alicealice"}, "password"),
    ({"username": "alicealice", "password": "ALICEALICE"}, "password"),
    ({"password": 123456789}, "password"),
    ({"role": "admin"}, "role"),
    ({"tier": "enterprise"}, "tier"),
]
"""Rows of (changes to a valid sign-up body, the field the refusal names); ``None`` drops the
field from the body."""
