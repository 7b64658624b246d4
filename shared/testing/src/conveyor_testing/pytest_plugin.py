"""Fixtures every Conveyor test suite shares (loaded through the ``pytest11`` entry point).

- ``redis_server``: one private ``redis-server`` per test session, on a free port.
- ``redis_url``: that server's URL, flushed before each test, its (empty) view of revoked
  tokens marked as built, as user-service marks it (``conveyor_web.revocation``).
- ``jwt_keys``: an Ed25519 ``(private_pem, public_pem)`` pair for the session.
- ``make_token``: mint access tokens the way user-service does.
- ``database_url``: a fresh SQLite file, and when ``TEST_DATABASE_URL`` is set a fresh
  PostgreSQL database, per test session; tests parametrized over both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from conveyor_core.redis_connection import connect
from conveyor_testing import access_token, postgres_database
from conveyor_testing.redis_server import RedisServer
from conveyor_web.jwt_keys import generate
from conveyor_web.revocation import mark_built

BACKENDS = ("sqlite", "postgresql")
"""Database backends every SQL test runs on."""


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    mark_built(client)
    client.close()
    return redis_server.url


@pytest.fixture
def connection(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the test's clean Redis (bounded timeouts, as the services use)."""
    client = connect(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def jwt_keys() -> tuple[str, str]:
    return generate()


@pytest.fixture
def make_token(jwt_keys: tuple[str, str]) -> Callable[..., str]:
    def make(user_id: int, role: str = "user", tier: str = "free", **claims: Any) -> str:
        return access_token(jwt_keys[0], user_id, role=role, tier=tier, **claims)

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "test.db"
        yield f"sqlite:///{path}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not skip")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    with postgres_database(server) as url:
        yield url
