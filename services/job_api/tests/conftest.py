"""Fixtures for job-api: a migrated database per session, a clean one per test, tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, text

from conveyor_core.jobs.models import Base, Job
from conveyor_core.schedules.models import Schedule
from conveyor_testing import app_config
from conveyor_testing.redis_server import RedisServer
from conveyor_testing.workers import WorkerFleet
from job_api import create_app
from job_api.extensions import db
from job_api.models import IdempotencyKey


def _config(
    database_url: str, redis_url: str, jwt_keys: tuple[str, str], var: Path
) -> dict[str, Any]:
    return app_config(database_url, redis_url, jwt_keys, ARTIFACTS_DIR=str(var / "artifacts"))


@pytest.fixture(scope="session")
def migrated(
    database_url: str,
    redis_server: RedisServer,
    jwt_keys: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """Build the schema with the real migrations (``flask db upgrade``), once per database."""
    app = create_app(
        _config(database_url, redis_server.url, jwt_keys, tmp_path_factory.mktemp("m"))
    )
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(
    migrated: str, redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[Flask]:
    app = create_app(_config(migrated, redis_url, jwt_keys, tmp_path))
    with app.app_context():
        for model in (IdempotencyKey, Job, Schedule):
            db.session.execute(delete(model))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def uncached(app: Flask, jwt_keys: tuple[str, str], tmp_path: Path) -> Iterator[Flask]:
    """A second job-api on the same database and Redis, built with its cache off."""
    config = _config(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"], jwt_keys,
                     tmp_path)  # fmt: skip
    other = create_app({**config, "CACHE_TYPE": "NullCache"})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sql_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement ``app`` sends from now on."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for user ``user_id`` (email ``user<id>@example.com`` in the token)."""

    def headers(user_id: int = 1, role: str = "user", **claims: Any) -> dict[str, str]:
        claims.setdefault("email", f"user{user_id}@example.com")
        claims.setdefault("username", f"user{user_id}")
        return {"Authorization": f"Bearer {make_token(user_id, role=role, **claims)}"}

    return headers


@pytest.fixture
def count_jobs(app: Flask) -> Callable[[], int]:
    def count() -> int:
        with app.app_context():
            return int(db.session.execute(text("SELECT COUNT(*) FROM jobs")).scalar_one())

    return count


@pytest.fixture
def workers(app: Flask, tmp_path: Path) -> Iterator[WorkerFleet]:
    """Real ``python -m worker`` processes on this test's database, Redis and artifacts."""
    fleet = WorkerFleet(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "ARTIFACTS_DIR": app.config["ARTIFACTS_DIR"],
            "VAR_DIR": str(tmp_path / "var"),
            "LOG_DIR": "",
        },
        tmp_path / "worker-logs",
    )
    yield fleet
    fleet.kill()
