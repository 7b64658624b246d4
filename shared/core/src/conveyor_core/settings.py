"""Settings read from environment variables, with working local defaults.

Nothing here runs at import time: services call :func:`load` inside ``create_app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from conveyor_core.exceptions import ConfigurationError

DEFAULT_TIER_WEIGHTS = "free=1,pro=3,enterprise=9"
"""Fair-scheduling weight per tier, as ``tier=weight`` pairs."""

DEFAULT_ACCESS_TOKEN_TTL = 900
"""Access token lifetime in seconds (15 minutes)."""

DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600
"""Refresh token lifetime in seconds (30 days)."""

JWT_ALGORITHM = "EdDSA"
"""The one signing algorithm every service accepts (Ed25519)."""


def parse_tier_weights(text: str) -> dict[str, int]:
    """Parse ``free=1,pro=3`` into ``{"free": 1, "pro": 3}``."""
    weights: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.partition("=")
        try:
            weight = int(value)
        except ValueError:
            raise ConfigurationError(f"bad tier weight {pair!r}") from None
        if weight < 1:
            raise ConfigurationError(f"tier weight must be >= 1: {pair!r}")
        weights[name.strip()] = weight
    return weights


def _read_key(path: str) -> str | None:
    file = Path(path)
    return file.read_text() if file.is_file() else None


def load(
    service: str, environ: Mapping[str, str] | None = None, database: str | None = None
) -> dict[str, Any]:
    """Build a Flask config mapping for ``service`` from environment variables.

    ``database`` names the local SQLite file used when ``DATABASE_URL`` is unset; services
    that share a database (job-api and worker share ``jobs``) pass the same name.
    """
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("VAR_DIR", "var")).resolve()
    sqlite_file = var_dir / f"{database or service.replace('-', '_')}.db"
    public_key_file = env.get("JWT_PUBLIC_KEY_FILE", str(var_dir / "keys" / "jwt_public.pem"))
    private_key_file = env.get("JWT_PRIVATE_KEY_FILE", str(var_dir / "keys" / "jwt_private.pem"))
    return {
        "SERVICE_NAME": service,
        "VAR_DIR": str(var_dir),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", f"sqlite:///{sqlite_file}"),
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "LOG_DIR": env.get("LOG_DIR", str(var_dir / "log")),
        "JWT_PUBLIC_KEY": env.get("JWT_PUBLIC_KEY") or _read_key(public_key_file),
        "JWT_PRIVATE_KEY": env.get("JWT_PRIVATE_KEY") or _read_key(private_key_file),
        "JWT_ISSUER": env.get("JWT_ISSUER", "conveyor"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "conveyor"),
        "ACCESS_TOKEN_TTL": timedelta(
            seconds=int(env.get("ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TOKEN_TTL))
        ),
        "REFRESH_TOKEN_TTL": timedelta(
            seconds=int(env.get("REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TOKEN_TTL))
        ),
        "TIER_WEIGHTS": parse_tier_weights(env.get("TIER_WEIGHTS", DEFAULT_TIER_WEIGHTS)),
        "CACHE_TIMEOUT": int(env.get("CACHE_TIMEOUT", 300)),
        "PUBLIC_URL": env.get("PUBLIC_URL", "http://127.0.0.1:8080"),
    }
