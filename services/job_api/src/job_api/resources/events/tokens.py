"""Short-lived stream tokens: how a browser's ``EventSource`` (which cannot send headers)
authenticates to ``GET /api/events?token=...``.

A token is a random string; Redis maps a hash of it to the claims of the access token that
minted it, for a minute. It is good for that one route only (nothing else looks it up), it
never reveals the long-lived token in a URL, and the revocation checks of that access token
still apply to it (a logout ends it too). It stays valid until it expires rather than after
one use, because ``EventSource`` reconnects on its own with the same URL.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import redis

TOKEN_KEY = "conveyor:events:token:{digest}"
"""Claims behind one stream token (keyed by the token's SHA-256, so a dump holds no tokens)."""

MAX_TOKEN_LENGTH = 128
"""Longest ``token`` query value looked up (ours are 43 characters)."""

KEPT_CLAIMS = ("sub", "role", "tier", "jti", "sid", "iat")
"""What a stream token remembers of the access token: identity and revocation handles."""


def _key(token: str) -> str:
    return TOKEN_KEY.format(digest=hashlib.sha256(token.encode()).hexdigest())


def mint(connection: redis.Redis, claims: dict[str, Any], ttl: float) -> str:
    """Create a stream token for the bearer of ``claims``, valid for ``ttl`` seconds."""
    token = secrets.token_urlsafe(32)
    kept = {name: claims.get(name) for name in KEPT_CLAIMS}
    connection.set(_key(token), json.dumps(kept), px=max(int(ttl * 1000), 1))
    return token


def redeem(connection: redis.Redis, token: str) -> dict[str, Any] | None:
    """Return the claims behind ``token``, or ``None`` if it is unknown or has expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    stored = connection.get(_key(token))
    if stored is None:
        return None
    claims: dict[str, Any] = json.loads(stored)
    return claims
