"""One Redis connection pool per app, built from ``REDIS_URL``."""

from __future__ import annotations

import redis
from flask import Flask, current_app

EXTENSION = "conveyor_redis"
"""Key of the client in ``app.extensions``."""

SOCKET_TIMEOUT = 5.0
"""Seconds before a Redis command is given up on, so a dead Redis is a 503, not a hang."""


def connect(url: str, **kwargs: object) -> redis.Redis:
    """Return a client for ``url`` with bounded timeouts."""
    kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("health_check_interval", 30)
    return redis.Redis.from_url(url, **kwargs)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    """Attach a client for ``REDIS_URL`` to the app."""
    app.extensions[EXTENSION] = connect(app.config["REDIS_URL"])


def get_redis() -> redis.Redis:
    """Return the current app's Redis client."""
    client: redis.Redis = current_app.extensions[EXTENSION]
    return client
