"""Redis clients with bounded timeouts, for every process (web apps, workers, scripts)."""

from __future__ import annotations

from typing import Any, overload

import redis

SOCKET_TIMEOUT = 5.0
"""Seconds before a Redis command is given up on, so a dead Redis is a 503, not a hang."""


def connect(url: str, *, blocking: bool = False, **kwargs: object) -> redis.Redis:
    """Return a client for ``url`` with bounded timeouts.

    With ``blocking``, a caller finding every pooled connection busy waits (up to the socket
    timeout) for one instead of failing at once: a gevent worker serves hundreds of requests
    together, more than the pool's 100 connections.
    """
    kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("health_check_interval", 30)
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
