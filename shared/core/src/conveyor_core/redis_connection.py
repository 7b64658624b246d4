"""Redis clients with bounded timeouts, for every process (web apps, workers, scripts)."""

from __future__ import annotations

from typing import Any, overload

import hiredis
import redis
from redis.connection import PythonRespSerializer

SOCKET_TIMEOUT = 5.0
"""Seconds before a Redis command is given up on, so a dead Redis is a 503, not a hang."""

OUTAGE = (redis.ConnectionError, redis.TimeoutError)
"""The errors that mean Redis cannot be reached (refused, reset, timed out), as opposed to a
command Redis answered with an error."""


class CommandPacker:
    """Packs a command's arguments into RESP in C, in one call.

    redis-py hands hiredis each argument only after encoding it in Python (about 1 µs an
    argument): a 1,000-job hand-off sends ~55,000 arguments, a worker's end of job ~100.
    ``hiredis.pack_command`` takes str, bytes, int and float itself and writes them as
    redis-py would (UTF-8; ``repr`` of a number). Anything else (a memoryview, a bool, None)
    goes the Python way, which packs it or raises redis-py's own ``DataError``."""

    def __init__(self) -> None:
        self._python = PythonRespSerializer(
            6000, redis.connection.Encoder("utf-8", "strict", False).encode
        )

    def pack(self, *args: Any) -> list[bytes]:
        name = args[0]
        # A command named in two words ("SCRIPT LOAD") is sent as two arguments.
        if (isinstance(name, str) and " " in name) or (isinstance(name, bytes) and b" " in name):
            args = (*name.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            return self._python.pack(*args)


COMMAND_PACKER = CommandPacker()
"""One packer for every connection: it keeps no state."""


def connect(url: str, *, blocking: bool = False, **kwargs: object) -> redis.Redis:
    """Return a client for ``url`` with bounded timeouts.

    With ``blocking``, a caller finding every pooled connection busy waits (up to the socket
    timeout) for one instead of failing at once: a gevent worker serves hundreds of requests
    together, more than the pool's 100 connections.
    """
    kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("health_check_interval", 30)
    kwargs.setdefault("command_packer", COMMAND_PACKER)
    if not blocking:
        return redis.Redis.from_url(url, **kwargs)  # type: ignore[arg-type]
    kwargs.setdefault("max_connections", 100)
    kwargs.setdefault("timeout", SOCKET_TIMEOUT)
    client = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(url, **kwargs))
    client.auto_close_connection_pool = True
    return client


@overload
def text(value: None) -> None: ...
@overload
def text(value: Any) -> str: ...
def text(value: Any) -> str | None:
    """A Redis reply as text. Our clients keep replies as bytes (``decode_responses`` stays
    off: RQ stores pickled bytes in the same Redis through the same clients)."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
