"""Access-token verification shared by every service.

User-service signs tokens with the private key; every service verifies them with the public
key alone (``EdDSA`` pinned, ``iss`` and ``aud`` checked, no leeway). Revocation is read
from Redis so that a logout or a deleted account takes effect everywhere at once
(:mod:`.revocation`: user-service's database is the record Redis's view is rebuilt from).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, Response, current_app
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

from conveyor_core.coalesce import Coalescer
from conveyor_core.exceptions import ConfigurationError
from conveyor_core.redis_connection import OUTAGE
from conveyor_core.settings import JWT_ALGORITHM
from conveyor_web.errors import problem
from conveyor_web.revocation import (
    REVOKED_JTI_KEY,
    REVOKED_SESSION_KEY,
    USER_TOKENS_VALID_AFTER_KEY,
    RevocationsUnknown,
    handle_unknown,
    revoked_tokens,
)

__all__ = [
    "REVOKED_JTI_KEY",
    "REVOKED_SESSION_KEY",
    "USER_TOKENS_VALID_AFTER_KEY",
    "Principal",
    "TokenManager",
    "current_principal",
    "init_app",
    "is_revoked",
    "optional_principal",
    "revoked_tokens",
]

ROLES = ("user", "admin")
"""Every role a user can have."""

VERIFIED_TOKENS = 4096
"""Verified access tokens one process remembers (a few hundred bytes each)."""

REVOCATION_CHECKS = "conveyor_revocation_checks"
"""Key of the app's :class:`~.coalesce.Coalescer` of revocation checks in ``app.extensions``."""


class TokenManager(JWTManager):
    """flask-jwt-extended's manager, remembering the access tokens it has verified.

    A client sends the same token with every request until it expires, and verifying it
    costs three parses and an Ed25519 check, about a third of a millisecond. A token string
    that passed verification has passed for good, so its claims are kept until its ``exp``
    and handed back for the same string (any other string, a tampered one included, is
    verified afresh). Revocation is not cached: flask-jwt-extended asks the blocklist loader
    (Redis) after decoding, on every request."""

    def __init__(self, app: Flask | None = None, max_tokens: int = VERIFIED_TOKENS) -> None:
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._verified_lock = threading.Lock()
        self._max_tokens = max_tokens
        super().__init__(app)

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        # Only strings are remembered: a JSON body can carry any value as the token.
        plain = isinstance(encoded_token, str) and csrf_value is None and not allow_expired
        if plain:
            with self._verified_lock:
                claims = self._verified.get(encoded_token)
                if claims is not None:
                    self._verified.move_to_end(encoded_token)
            if claims is not None and time.time() < claims["exp"]:
                return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if plain and isinstance(claims.get("exp"), int | float):
            with self._verified_lock:
                self._verified[encoded_token] = dict(claims)
                while len(self._verified) > self._max_tokens:
                    self._verified.popitem(last=False)
        return claims


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    id: int
    role: str
    tier: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def current_principal() -> Principal:
    """Return the caller of the current request (a verified token is required first)."""
    claims = get_jwt()
    return Principal(id=int(claims["sub"]), role=claims["role"], tier=claims["tier"])


def optional_principal() -> Principal | None:
    """Return the caller if the request carries a valid token, else ``None``."""
    verify_jwt_in_request(optional=True)
    return current_principal() if get_jwt() else None


def is_revoked(payload: dict[str, Any]) -> bool:
    """Tell whether a decoded token was revoked alone, with its session, or with its user.

    Asked of Redis on every request; the checks a process makes at the same time share one
    round trip (:func:`revoked_tokens`)."""
    checks: Coalescer[dict[str, Any], str] = current_app.extensions[REVOCATION_CHECKS]
    return bool(checks.submit(payload)[payload["jti"]])


def _configure(app: Flask) -> None:
    public_key = app.config.get("JWT_PUBLIC_KEY")
    if not public_key:
        raise ConfigurationError("JWT_PUBLIC_KEY (or JWT_PUBLIC_KEY_FILE) is required")
    app.config.update(
        JWT_ALGORITHM=JWT_ALGORITHM,
        JWT_DECODE_ALGORITHMS=[JWT_ALGORITHM],
        JWT_DECODE_ISSUER=app.config["JWT_ISSUER"],
        JWT_DECODE_AUDIENCE=app.config["JWT_AUDIENCE"],
        JWT_ENCODE_ISSUER=app.config["JWT_ISSUER"],
        JWT_ENCODE_AUDIENCE=app.config["JWT_AUDIENCE"],
        JWT_DECODE_LEEWAY=0,
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=app.config["ACCESS_TOKEN_TTL"],
        JWT_REFRESH_TOKEN_EXPIRES=app.config["REFRESH_TOKEN_TTL"],
        JWT_ERROR_MESSAGE_KEY="detail",
    )
    # Only user-service holds the private key; the others can verify but not sign.
    app.config.setdefault("JWT_PRIVATE_KEY", None)


def _unauthorized(detail: str) -> Response:
    return problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def init_app(app: Flask) -> JWTManager:
    """Verify bearer tokens with the public key and answer every failure as a problem."""
    _configure(app)
    jwt = TokenManager(app)
    # Parsed once: PyJWT would parse the PEM text again for every token it verifies.
    pem = app.config["JWT_PUBLIC_KEY"]
    public_key = load_pem_public_key(pem if isinstance(pem, bytes) else pem.encode())
    jwt.decode_key_loader(lambda _header, _payload: public_key)

    # Redis gone: the checks that waited on a failed one answer at once (one timeout, not two).
    app.extensions[REVOCATION_CHECKS] = Coalescer(revoked_tokens, OUTAGE)
    jwt.token_in_blocklist_loader(lambda _header, payload: is_revoked(payload))
    app.register_error_handler(RevocationsUnknown, handle_unknown)
    jwt.unauthorized_loader(lambda _reason: _unauthorized("Missing bearer token."))
    jwt.invalid_token_loader(lambda _reason: _unauthorized("Invalid token."))
    jwt.expired_token_loader(lambda _h, _p: _unauthorized("Token has expired."))
    jwt.revoked_token_loader(lambda _h, _p: _unauthorized("Token has been revoked."))
    jwt.needs_fresh_token_loader(lambda _h, _p: _unauthorized("Fresh token required."))
    jwt.user_lookup_error_loader(lambda _h, _p: _unauthorized("Unknown user."))
    jwt.token_verification_failed_loader(lambda _h, _p: _unauthorized("Invalid token."))
    return jwt
