"""Helpers the user-service tests import (named uniquely: suites share one sys.path)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from user_service import revocations
from user_service.extensions import db

PASSWORD = "correct horse battery"
"""Password of every user the helpers sign up."""


def base_config(database_url: str, redis_url: str, keys: tuple[str, str]) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "JWT_PRIVATE_KEY": keys[0],
        "JWT_PUBLIC_KEY": keys[1],
        "LOG_DIR": None,
        # The cheapest argon2id parameters: tests check behaviour, not hashing strength.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        "TRUSTED_PROXY_COUNT": 0,
        # No watch thread per test app; the tests of the watch turn it on.
        "REVOCATIONS_CHECK_INTERVAL": 0,
    }


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
