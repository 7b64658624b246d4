"""One Redis connection pool per app, built from ``REDIS_URL``, whose connections give up at
once on a request that Redis has already failed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import redis
from flask import Flask, current_app, g, has_app_context

from conveyor_core.redis_connection import OUTAGE, connect

EXTENSION = "conveyor_redis"
"""Key of the client in ``app.extensions``."""

_FAILED = "conveyor_redis_failed"
"""Key in ``flask.g``: the error a command of this request (or app context) met."""


class RequestConnection(redis.Connection):
    """A connection that fails at once in a request Redis has already failed.

    Each command is bounded by the 5 s socket timeout, but a request that can do without a
    reply (a queue place it leaves out, a push the sweep redoes, a lock that expires by
    itself) goes on to its next command: with Redis blackholed, each would cost it another
    5 s. Once one command of a request met a dead Redis, its later commands raise the same
    kind of error without touching the network, so a request waits out one timeout at most.
    Outside an app context (a worker, a script) it is a plain connection."""

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        _raise_if_failed()
        with _noting_outage():
            super().connect_check_health(*args, **kwargs)

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        _raise_if_failed()
        with _noting_outage():
            super().send_packed_command(command, check_health)

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        with _noting_outage():
            return super().read_response(*args, **kwargs)


@contextlib.contextmanager
def _noting_outage() -> Iterator[None]:
    try:
        yield
    except OUTAGE as error:
        if has_app_context():
            g.setdefault(_FAILED, error)
        raise


def _raise_if_failed() -> None:
    if has_app_context() and (failed := g.get(_FAILED)) is not None:
        raise type(failed)(f"Redis failed earlier in this request: {failed}")


def init_app(app: Flask) -> None:
    """Attach a client for ``REDIS_URL`` to the app."""
    app.extensions[EXTENSION] = connect(
        app.config["REDIS_URL"], blocking=True, connection_class=RequestConnection
    )


def get_redis() -> redis.Redis:
    """Return the current app's Redis client."""
    client: redis.Redis = current_app.extensions[EXTENSION]
    return client
