"""One Redis connection pool per app, built from ``REDIS_URL``."""

from __future__ import annotations

import redis
from flask import Flask, current_app

from conveyor_core.redis_connection import connect

EXTENSION = "conveyor_redis"
"""Key of the client in ``app.extensions``."""


def init_app(app: Flask) -> None:
    """Attach a client for ``REDIS_URL`` to the app."""
    app.extensions[EXTENSION] = connect(app.config["REDIS_URL"], blocking=True)


def get_redis() -> redis.Redis:
    """Return the current app's Redis client."""
    client: redis.Redis = current_app.extensions[EXTENSION]
    return client
