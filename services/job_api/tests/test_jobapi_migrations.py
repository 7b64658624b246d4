"""job-api's migrations upgrade and downgrade a database that already holds jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import MetaData, Table, inspect, select

from conveyor_testing import postgres_database
from job_api import create_app
from job_api.extensions import db

BEFORE_OUTBOX = "0002"
"""The revision before ``jobs.email_owed``."""


@pytest.fixture
def app(
    database_url: str, jwt_keys: tuple[str, str], redis_url: str, tmp_path: Path
) -> Iterator[Flask]:
    """job-api on an empty database of its own, of ``database_url``'s kind (the session's
    database stays at the newest revision for the other tests)."""

    def build(url: str) -> Iterator[Flask]:
        app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
            "JWT_PRIVATE_KEY": jwt_keys[0], "JWT_PUBLIC_KEY": jwt_keys[1], "LOG_DIR": None,
            "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        })  # fmt: skip
        with app.app_context():
            yield app
            db.engine.dispose()

    if database_url.startswith("sqlite"):
        yield from build(f"sqlite:///{tmp_path / 'migrations.db'}")
        return
    with postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        yield from build(url)


def _add_job(job_id: str) -> None:
    """Insert a finished job with the columns every revision has."""
    jobs = Table("jobs", MetaData(), autoload_with=db.engine)
    at = datetime(2026, 11, 1, 12, 0)
    row = {
        "id": job_id, "user_id": 1, "type": "timed", "payload": {}, "status": "completed",
        "priority": "normal", "progress_percent": 100.0, "attempts": 1, "max_retries": 3,
        "retry_floor": 0, "recoveries": 0, "timeout_seconds": 60, "notify_email": True,
        "notify_to": "owner@example.test", "cancel_requested": False, "created_at": at,
        "updated_at": at, "finished_at": at, "wait_seconds": 0.0, "run_seconds": 1.0,
    }  # fmt: skip
    with db.engine.begin() as connection:
        connection.execute(jobs.insert(), row)


def _columns() -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns("jobs")}


def test_upgrade_adds_the_email_mark_owing_nothing_for_existing_jobs(app: Flask) -> None:
    flask_migrate.upgrade(revision=BEFORE_OUTBOX)
    _add_job("before-outbox")
    flask_migrate.upgrade()
    jobs = Table("jobs", MetaData(), autoload_with=db.engine)
    with db.engine.connect() as connection:
        owed = connection.execute(select(jobs.c.email_owed)).scalars().all()
    assert owed == [False]  # its email went out with the old code


def test_downgrade_removes_the_email_mark_and_keeps_the_jobs(app: Flask) -> None:
    flask_migrate.upgrade()
    _add_job("after-outbox")
    flask_migrate.downgrade(revision=BEFORE_OUTBOX)
    assert "email_owed" not in _columns()
    indexes = {index["name"] for index in inspect(db.engine).get_indexes("jobs")}
    assert "ix_jobs_email_owed_finished_at" not in indexes
    flask_migrate.upgrade()  # and up again
    assert "email_owed" in _columns()
    jobs = Table("jobs", MetaData(), autoload_with=db.engine)
    with db.engine.connect() as connection:
        assert connection.execute(select(jobs.c.id)).scalars().all() == ["after-outbox"]
