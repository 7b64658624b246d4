"""One open ``GET /api/events`` stream: Server-Sent Events relayed from the user's Redis
Stream, interleaved with snapshots and heartbeats.

The generator only ever waits in ``XREAD BLOCK`` for a bounded time (until the next
snapshot or heartbeat is due), so under gevent it yields the worker to other requests while
it waits, notices a closed connection at its next write, and never outlives its deadline.
It needs no Flask context: the view hands it everything it uses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.exc import SQLAlchemyError

from conveyor_core import streams

from .settings import MAX_BLOCK_SECONDS, StreamSettings

logger = logging.getLogger(__name__)

SNAPSHOT = "snapshot"
"""Name of the periodic event with the caller's queued and running jobs (it has no id)."""

HEARTBEAT = b": keep-alive\n\n"
"""A comment line: ignored by clients, but it keeps proxies from closing an idle stream."""

CATCH_UP_BATCHES = streams.STREAM_MAXLEN // streams.READ_COUNT + 2
"""Most reads a reconnecting stream makes to replay what was missed (the whole window)."""


def frame(data: dict[str, Any], event: str | None = None, event_id: str | None = None) -> bytes:
    """Format one Server-Sent Event."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass
class EventStream:
    """Everything one stream needs, gathered by the view before the response starts."""

    connection: redis.Redis
    user_id: int
    cursor: str
    """Id of the last event the client has; the stream sends only what comes after it."""
    snapshot: Callable[[], dict[str, Any]]
    still_allowed: Callable[[], bool]
    """Re-checked at each heartbeat, so a logout or a deleted account ends the stream."""
    settings: StreamSettings
    clock: Callable[[], float] = time.monotonic

    def _relay(self, found: list[streams.Event]) -> Iterator[bytes]:
        for event in found:
            self.cursor = event.id
            yield frame(event.data, event.type, event.id)

    def _catch_up(self) -> Iterator[bytes]:
        for _ in range(CATCH_UP_BATCHES):
            found = streams.read(self.connection, self.user_id, self.cursor)
            yield from self._relay(found)
            if len(found) < streams.READ_COUNT:
                return

    def __iter__(self) -> Iterator[bytes]:
        settings = self.settings
        start = self.clock()
        deadline = start + settings.max_seconds
        try:
            yield f"retry: {settings.retry_ms}\n\n".encode()
            yield from self._catch_up()
            yield frame(self.snapshot(), SNAPSHOT)
            next_snapshot = start + settings.snapshot_interval
            next_heartbeat = start + settings.heartbeat_seconds
            while (now := self.clock()) < deadline:
                wake = min(next_snapshot, next_heartbeat, deadline, now + MAX_BLOCK_SECONDS)
                block_ms = max(int((wake - now) * 1000), 1)
                yield from self._relay(
                    streams.read(self.connection, self.user_id, self.cursor, block_ms)
                )
                now = self.clock()
                if now >= next_snapshot:
                    yield frame(self.snapshot(), SNAPSHOT)
                    next_snapshot = now + settings.snapshot_interval
                if now >= next_heartbeat:
                    if not self.still_allowed():
                        logger.info("event stream ended: access revoked")
                        return
                    yield HEARTBEAT
                    next_heartbeat = now + settings.heartbeat_seconds
        except (redis.RedisError, SQLAlchemyError) as error:
            # End the stream; the client reconnects with Last-Event-ID and misses nothing.
            logger.warning("event stream ended early", extra={"error": str(error)})
