"""The test kit's helpers: real databases, tokens, free ports, a private redis-server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import jwt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conveyor_testing.redis_server import RedisServer, free_port

__all__ = [
    "RedisServer",
    "access_token",
    "app_config",
    "free_port",
    "postgres_database",
    "wait_for",
]

T = TypeVar("T")

DEADLINE = 30.0
"""Seconds a wait may take, by default, before the test fails (shared CI machines are slow)."""


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database on ``server_url``, yield its URL, then drop it."""
    url = make_url(server_url)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    name = f"conveyor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def access_token(
    private_key: str,
    user_id: int,
    *,
    role: str = "user",
    tier: str = "free",
    issuer: str = "conveyor",
    audience: str = "conveyor",
    ttl: int = 900,
    algorithm: str = "EdDSA",
    **claims: Any,
) -> str:
    """Sign an access token shaped like user-service's (claims may override any field)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "tier": tier,
        "sid": uuid.uuid4().hex,
        "jti": uuid.uuid4().hex,
        "type": "access",
        "fresh": False,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "iss": issuer,
        "aud": audience,
    }
    payload.update(claims)
    return jwt.encode(payload, private_key, algorithm=algorithm)


def wait_for(
    predicate: Callable[[], T | None], what: str = "", *, timeout: float = DEADLINE,
    interval: float = 0.05,
) -> T:  # fmt: skip
    """Poll ``predicate`` until it returns something truthy, and return that; fail after
    ``timeout`` seconds, naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def app_config(
    database_url: str, redis_url: str, keys: tuple[str, str], **settings: Any
) -> dict[str, Any]:
    """A service's config for a test app: the test's database and Redis, the session's JWT
    key pair, no log files; ``settings`` add to it or override it."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "JWT_PRIVATE_KEY": keys[0],
        "JWT_PUBLIC_KEY": keys[1],
        "LOG_DIR": None,
        **settings,
    }
