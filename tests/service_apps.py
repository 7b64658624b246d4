"""user-service and job-api side by side, in this process, as the cross-service suites
(security, soak) run them: each on a database of its own, one Redis, one key pair."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy.engine import make_url

import job_api
import user_service
from conveyor_testing import app_config, postgres_database
from user_service import revocations


@contextlib.contextmanager
def database_pair(database_url: str, scratch: Path) -> Iterator[tuple[str, str]]:
    """``(users database, jobs database)``: the session's database and one more beside it
    (a SQLite file in ``scratch``, or a new database on the same PostgreSQL server)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield database_url, f"sqlite:///{scratch / 'jobs.db'}"
        return
    server = url.set(database="postgres").render_as_string(hide_password=False)
    with postgres_database(server) as jobs:
        yield database_url, jobs


def config(database: str, redis_url: str, keys: tuple[str, str], var: Path) -> dict[str, Any]:
    # The cheapest argon2id parameters: these suites check behaviour, not hashing.
    return app_config(
        database, redis_url, keys, ARTIFACTS_DIR=str(var / "artifacts"), ARGON2_TIME_COST=1,
        ARGON2_MEMORY_COST=8, ARGON2_PARALLELISM=1, TRUSTED_PROXY_COUNT=0,
    )  # fmt: skip


def _fresh(app: Flask) -> None:
    """Migrate the app's database and empty every table it owns."""
    extension = app.extensions["sqlalchemy"]
    with app.app_context():
        flask_migrate.upgrade()
        with extension.engine.begin() as connection:
            for table in reversed(extension.metadatas[None].sorted_tables):
                connection.execute(table.delete())


def _close(app: Flask) -> None:
    revocations.stop(app)  # user-service's watch of Redis's view of revoked tokens
    extension = app.extensions["sqlalchemy"]
    with app.app_context():
        extension.session.remove()
        extension.engine.dispose()
    app.extensions["conveyor_redis"].close()


@contextlib.contextmanager
def running(
    databases: tuple[str, str], redis_url: str, keys: tuple[str, str], var: Path,
    **overrides: Any,
) -> Iterator[tuple[Flask, Flask]]:  # fmt: skip
    """``(user-service, job-api)`` on migrated, empty databases; closed afterwards.
    ``overrides`` change settings of both."""
    users = user_service.create_app(config(databases[0], redis_url, keys, var) | overrides)
    jobs = job_api.create_app(config(databases[1], redis_url, keys, var) | overrides)
    for app in (users, jobs):
        _fresh(app)
    try:
        yield users, jobs
    finally:
        for app in (users, jobs):
            _close(app)
