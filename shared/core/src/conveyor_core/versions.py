"""The version of one user's jobs: a token that changes whenever any of those jobs changes.

Whoever changes a job announces it through :func:`conveyor_core.streams.publish`, which
replaces the owner's token in the same round trip; a change without an event calls
:func:`touch` after its commit. A reader that caches something derived from a user's jobs
reads the token *before* the rows and keys the cached value by it: any later change makes
the key unreachable, so a read after a change is never served from before it.
"""

from __future__ import annotations

import secrets
from typing import Any

import redis
from redis.client import Pipeline

from conveyor_core.redis_connection import text

VERSION_KEY = "conveyor:jobs:version:user:{user_id}"
"""Holds the current token of one user's jobs."""

VERSION_TTL_SECONDS = 7 * 24 * 3600
"""A token nobody replaced for this long is dropped. It must outlive by far every cached value
keyed by it: a dropped token reads as :data:`NO_VERSION` again."""

NO_VERSION = "0"
"""The version of a user whose jobs have no recorded change."""


def key(user_id: int) -> str:
    """Name the key holding ``user_id``'s token."""
    return VERSION_KEY.format(user_id=int(user_id))


def touch(connection_or_pipeline: redis.Redis | Pipeline, user_id: int) -> None:
    """Give ``user_id``'s jobs a new token (on a pipeline: when the caller executes it).

    Random, not a counter: a counter whose key expired would count the same numbers again and
    make old cached values reachable."""
    connection_or_pipeline.set(key(user_id), secrets.token_hex(8), ex=VERSION_TTL_SECONDS)


def current(connection: redis.Redis, user_id: int) -> str:
    """Return ``user_id``'s token now."""
    value: Any = connection.get(key(user_id))
    if not value:
        return NO_VERSION
    return text(value)
