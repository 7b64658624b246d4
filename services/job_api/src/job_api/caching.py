"""Cached reads of jobs and job list pages, retired by every change of the owner's jobs.

A cached value's key holds its owner's version (``conveyor_core.versions``), read *before*
the rows. Every change of a job, by job-api, a worker or the reconciler, replaces the owner's
version after its commit (``events.publish`` does it in the event's own round trip), so a
value read before a change is never reached again: a read after a write is fresh.

Values are cached only for their owner's own reads: an admin reading another user's job
cannot know that user's version before reading the row.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_caching.backends import NullCache

from conveyor_core import versions
from conveyor_core.redis_connection import SOCKET_TIMEOUT
from conveyor_web.redis_client import RequestConnection, get_redis

from .extensions import cache

PREFIX = "conveyor:job-api:"
"""Prefix of every Redis key this service owns (cache entries included)."""

ACTIVE_TIMEOUT = 10
"""Seconds a value showing a queued or running job may live. Changes retire it anyway; this
bounds how long a change whose announcement was lost (a Redis error) can go unseen."""

ENABLED = "job_api_cache"
"""Key in ``app.extensions``: whether cached reads are on (``CACHE_TYPE`` not NullCache)."""


def init_app(app: Flask) -> None:
    """Cache in the service's Redis under its own prefix; ``JOB_CACHE_ENABLED=0`` turns it off."""
    app.config.setdefault("JOB_CACHE_ENABLED", True)
    app.config.setdefault(
        "CACHE_TYPE", "RedisCache" if app.config["JOB_CACHE_ENABLED"] else "NullCache"
    )
    app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("CACHE_NO_NULL_WARNING", True)  # off is a setting, not a mistake
    app.config.setdefault("CACHE_KEY_PREFIX", PREFIX + "cache:")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", app.config["CACHE_TIMEOUT"])
    app.config.setdefault(
        "CACHE_OPTIONS",
        {
            "socket_timeout": SOCKET_TIMEOUT,
            "socket_connect_timeout": SOCKET_TIMEOUT,
            "connection_class": RequestConnection,
        },
    )
    cache.init_app(app)
    app.extensions[ENABLED] = not isinstance(app.extensions["cache"][cache], NullCache)


def key(user_id: int, *parts: object) -> str | None:
    """Return the key of a value of ``user_id``'s under their current version (``None``: off).

    Call it before reading the rows the value is made of."""
    if not current_app.extensions[ENABLED]:
        return None
    version = versions.current(get_redis(), user_id)
    return ":".join(str(part) for part in (user_id, version, *parts))


def get(key: str | None) -> Any:
    """Return the value cached under ``key``, or ``None``."""
    return None if key is None else cache.get(key)


def put(key: str | None, value: Any, active: bool) -> None:
    """Cache ``value``; ``active``: it shows a job that may change without job-api's doing."""
    if key is not None:
        cache.set(key, value, timeout=ACTIVE_TIMEOUT if active else None)


def invalidate(user_id: int) -> None:
    """Retire every cached read of ``user_id``'s jobs (call after the commit)."""
    versions.touch(get_redis(), user_id)
