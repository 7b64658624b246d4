"""Helpers the user-service tests import (named uniquely: suites share one sys.path)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from conveyor_testing import app_config
from user_service import revocations
from user_service.extensions import db

PASSWORD = "correct horse battery"
"""Password of every user the helpers sign up."""


def base_config(database_url: str, redis_url: str, keys: tuple[str, str]) -> dict[str, Any]:
    # The cheapest argon2id parameters (tests check behaviour, not hashing strength); no
    # watch thread per test app (the tests of the watch turn it on).
    return app_config(
        database_url, redis_url, keys, ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8,
        ARGON2_PARALLELISM=1, TRUSTED_PROXY_COUNT=0, REVOCATIONS_CHECK_INTERVAL=0,
    )  # fmt: skip


def close_app(app: Flask) -> None:
    """Stop its revocation watch, close the app's database and Redis connections (PostgreSQL
    warns about leaks)."""
    revocations.stop(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["conveyor_redis"].close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
