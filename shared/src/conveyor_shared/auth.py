"""Access-token verification shared by every service.

User-service signs tokens with the private key; every service verifies them with the public
key alone (``EdDSA`` pinned, ``iss`` and ``aud`` checked, no leeway). Revocation lives in
Redis so that a logout or a deleted account takes effect everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Response
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

from .errors import problem
from .exceptions import ConfigurationError
from .redis_client import get_redis
from .settings import JWT_ALGORITHM

REVOKED_JTI_KEY = "conveyor:auth:revoked:jti:{}"
"""Set when one token is revoked; expires with the token."""

REVOKED_SESSION_KEY = "conveyor:auth:revoked:sid:{}"
"""Set when a whole login session (token family) is revoked."""

USER_TOKENS_VALID_AFTER_KEY = "conveyor:auth:valid-after:{}"
"""Unix time before which every token of that user is void (account deleted or locked)."""

ROLES = ("user", "admin")
"""Every role a user can have."""


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
    """Tell whether a decoded token was revoked alone, with its session, or with its user."""
    jti_key = REVOKED_JTI_KEY.format(payload["jti"])
    sid_key = REVOKED_SESSION_KEY.format(payload.get("sid", ""))
    user_key = USER_TOKENS_VALID_AFTER_KEY.format(payload["sub"])
    revoked_jti, revoked_sid, valid_after = get_redis().mget(jti_key, sid_key, user_key)
    if revoked_jti or revoked_sid:
        return True
    return valid_after is not None and payload["iat"] <= float(valid_after)


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
    jwt = JWTManager(app)

    jwt.token_in_blocklist_loader(lambda _header, payload: is_revoked(payload))
    jwt.unauthorized_loader(lambda _reason: _unauthorized("Missing bearer token."))
    jwt.invalid_token_loader(lambda _reason: _unauthorized("Invalid token."))
    jwt.expired_token_loader(lambda _h, _p: _unauthorized("Token has expired."))
    jwt.revoked_token_loader(lambda _h, _p: _unauthorized("Token has been revoked."))
    jwt.needs_fresh_token_loader(lambda _h, _p: _unauthorized("Fresh token required."))
    jwt.user_lookup_error_loader(lambda _h, _p: _unauthorized("Unknown user."))
    jwt.token_verification_failed_loader(lambda _h, _p: _unauthorized("Invalid token."))
    return jwt
