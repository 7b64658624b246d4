"""What open streams share in one process: their own Redis pool and a cap on their number.

Each open stream keeps one Redis connection busy in ``XREAD BLOCK``. They get a pool of
their own, so a thousand open streams never starve ordinary requests of the app's pool
(redis-py caps a pool at 100 connections unless told otherwise), and past the cap a new
stream is refused with a 503 instead of failing somewhere in the middle.
"""

from __future__ import annotations

import threading

import redis
from flask import Flask, current_app

from conveyor_core.redis_connection import connect

EXTENSION = "conveyor_events"
"""Key of this process's :class:`Gate` in ``app.extensions``."""

SPARE_CONNECTIONS = 8
"""Connections the streams' pool holds beyond one per stream (a margin; none is needed)."""


class Gate:
    """Counts this process's open streams and lends them a Redis client."""

    def __init__(self, redis_url: str, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._lock = threading.Lock()  # gthread workers; under gevent it is patched
        self.connection: redis.Redis = connect(
            redis_url, blocking=True, max_connections=limit + SPARE_CONNECTIONS
        )

    def enter(self) -> bool:
        """Count one more stream; ``False`` (and nothing counted) if the cap is reached."""
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        """Count one stream fewer."""
        with self._lock:
            self.open = max(self.open - 1, 0)


def init_app(app: Flask) -> None:
    """Give the app its gate, sized by ``EVENTS_MAX_STREAMS``."""
    app.extensions[EXTENSION] = Gate(app.config["REDIS_URL"], int(app.config["EVENTS_MAX_STREAMS"]))


def get_gate() -> Gate:
    """Return the current app's gate."""
    gate: Gate = current_app.extensions[EXTENSION]
    return gate
