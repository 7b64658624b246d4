"""Which tokens are void: Redis's view of revocations, checked on every request.

User-service keeps every revocation in its database until the tokens it covers expire (the
record) and writes each to Redis too (the view every service reads). Redis may lose data (a
restart without persistence, ``FLUSHALL``, a failover to a replica that missed the last
writes), and an empty view would let every revoked token through again. So the view carries a
marker, :data:`REVOCATIONS_BUILT_KEY`, written by user-service once the view holds the whole
record. It is read in the same ``MGET`` as the token's own keys (no extra round trip); while it
is missing no token passes: a service that can rebuild the view (user-service registers a
rebuild under :data:`REBUILD_EXTENSION`) rebuilds it, any other answers 503 with
``Retry-After`` (:class:`RevocationsUnknown`) until user-service has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis
from flask import Response, current_app

from conveyor_core.exceptions import ConveyorError
from conveyor_web.errors import problem
from conveyor_web.redis_client import get_redis

REVOKED_JTI_KEY = "conveyor:auth:revoked:jti:{}"
"""Set when one token is revoked; expires with the token."""

REVOKED_SESSION_KEY = "conveyor:auth:revoked:sid:{}"
"""Set when a whole login session (token family) is revoked."""

USER_TOKENS_VALID_AFTER_KEY = "conveyor:auth:valid-after:{}"
"""Unix time at or before which every token of that user was issued is void (the account is
gone, or its role changed)."""

REVOCATIONS_BUILT_KEY = "conveyor:auth:revocations:built"
"""The highest revocation id (user-service's ``revocations`` table) the view is known to hold.
Written by user-service when it has built the view from SQL, raised by each later revocation;
never expires. Missing means Redis lost data since: the view may lack revocations."""

REBUILD_EXTENSION = "conveyor_revocations_rebuild"
"""Key in ``app.extensions`` of a callable that rebuilds the view from the record and says
whether the view is built now (user-service only: the other services have no record)."""

RETRY_AFTER = "2"
"""Seconds a client is told to wait while the view is being rebuilt (user-service checks for a
lost view every second)."""

Rebuild = Callable[[], bool]


class RevocationsUnknown(ConveyorError):
    """Redis's view of revocations is not known to be complete, so no token may pass."""


def mark_built(connection: redis.Redis, through: int = 0) -> None:
    """Record that the view holds every revocation up to id ``through`` (tests, benchmarks:
    what user-service does after building the view)."""
    connection.set(REVOCATIONS_BUILT_KEY, through)


def _keys(payload: dict[str, Any]) -> tuple[str, str, str]:
    return (
        REVOKED_JTI_KEY.format(payload["jti"]),
        REVOKED_SESSION_KEY.format(payload.get("sid", "")),
        USER_TOKENS_VALID_AFTER_KEY.format(payload["sub"]),
    )


def _revoked(payload: dict[str, Any], values: Sequence[Any]) -> bool:
    revoked_jti, revoked_sid, valid_after = values
    if revoked_jti or revoked_sid:
        return True
    return valid_after is not None and payload["iat"] <= float(valid_after)


def _read(connection: redis.Redis, payloads: Sequence[dict[str, Any]]) -> list[Any] | None:
    """The payloads' revocation values, three each, or ``None`` if the view is not built."""
    keys = [REVOCATIONS_BUILT_KEY, *(key for payload in payloads for key in _keys(payload))]
    values: list[Any] = connection.mget(keys)  # type: ignore[assignment]
    return None if values[0] is None else values[1:]


def revoked_tokens(payloads: Sequence[dict[str, Any]]) -> Mapping[str, bool]:
    """Tell, by ``jti``, which of the decoded tokens are revoked: one ``MGET`` for them all,
    the view's marker included.

    Raises :class:`RevocationsUnknown` if the view is not built and cannot be rebuilt here."""
    distinct = list({payload["jti"]: payload for payload in payloads}.values())
    connection = get_redis()
    values = _read(connection, distinct)
    if values is None:
        rebuild: Rebuild | None = current_app.extensions.get(REBUILD_EXTENSION)
        if rebuild is None or not rebuild():
            raise RevocationsUnknown("Redis's view of revoked tokens is not built")
        values = _read(connection, distinct)
        if values is None:  # lost again while being built
            raise RevocationsUnknown("Redis's view of revoked tokens was lost while rebuilt")
    return {
        payload["jti"]: _revoked(payload, values[3 * index : 3 * index + 3])
        for index, payload in enumerate(distinct)
    }


def handle_unknown(_error: RevocationsUnknown) -> Response:
    """No token can be trusted until the view is rebuilt: not the caller's fault, so a 503."""
    return problem(
        503,
        "Signed-in sessions are being restored; try again shortly.",
        headers={"Retry-After": RETRY_AFTER},
    )
