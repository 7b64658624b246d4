"""The live-events contract: one Redis Stream of job events per user.

Whoever changes a job (job-api, a worker, the reconciler) calls :func:`publish` (or
:func:`publish_job`) *after* committing the change; job-api's ``GET /api/events`` reads the
caller's own stream with :func:`read` and relays each entry as a Server-Sent Event whose
``id:`` is the stream id, so a client that reconnects with ``Last-Event-ID`` resumes where it
left off. One stream per user means a reader can only ever see its own user's events.

Each entry has two fields: ``type`` (one of :data:`TYPES`) and ``data`` (a JSON object).

Every publish also gives the user's jobs a new version (:mod:`conveyor_core.versions`) in
the same round trip: job-api keys its cached reads by it, so a change made anywhere retires
them. A change that has no event (a deleted job) calls :func:`versions.touch` itself.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from redis.client import Pipeline

from conveyor_core import versions
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.redis_connection import text

logger = logging.getLogger(__name__)

STREAM_KEY = "conveyor:events:user:{user_id}"
"""Redis Stream holding one user's recent job events."""

STREAM_MAXLEN = 1000
"""About how many events each user's stream keeps (``XADD MAXLEN ~``): the replay window."""

STREAM_TTL_SECONDS = 24 * 3600
"""A stream nobody has written to for this long is dropped (renewed by every publish)."""

READ_COUNT = 100
"""Most events one :func:`read` returns."""

FIRST_ID = "0-0"
"""Stream id that sorts before every entry: read from here to get the whole stream."""

JOB_SCHEDULED = "job.scheduled"
"""The job waits for its ``run_at`` time or a retry backoff."""

JOB_QUEUED = "job.queued"
"""The job entered a queue (submitted, released, retried, or handed back by a worker)."""

JOB_STARTED = "job.started"
"""A worker claimed the job and began an attempt."""

JOB_PROGRESS = "job.progress"
"""The running job reported progress (``progress.percent``, ``progress.message``)."""

JOB_COMPLETED = "job.completed"
"""The job finished with a result."""

JOB_FAILED = "job.failed"
"""The job failed for good (its retries ran out); a retried failure is ``job.scheduled``."""

JOB_CANCELED = "job.canceled"
"""The job was canceled (while waiting) or stopped (while running)."""

TYPES = (
    JOB_SCHEDULED,
    JOB_QUEUED,
    JOB_STARTED,
    JOB_PROGRESS,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_CANCELED,
)
"""Every event type a stream carries."""

STATUS_EVENTS = {
    "scheduled": JOB_SCHEDULED,
    "queued": JOB_QUEUED,
    "running": JOB_STARTED,
    "completed": JOB_COMPLETED,
    "failed": JOB_FAILED,
    "canceled": JOB_CANCELED,
}
"""The event that announces a job entering each status."""

_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")  # not \d: it takes any script's digits

_ID_PART_MAX = 2**64 - 1
"""Largest part of a stream id Redis accepts (each is an unsigned 64-bit number)."""


@dataclass(frozen=True)
class Event:
    """One entry of a user's stream."""

    id: str
    type: str
    data: dict[str, Any]


def stream_key(user_id: int) -> str:
    """Name the stream of ``user_id``'s events."""
    return STREAM_KEY.format(user_id=int(user_id))


def parse_id(text: str) -> tuple[int, int] | None:
    """Return a stream id as ``(milliseconds, sequence)``, or ``None`` if it is not one."""
    match = _ID.fullmatch(text)
    if match is None:
        return None
    parts = int(match[1]), int(match[2])
    return parts if max(parts) <= _ID_PART_MAX else None


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _fields(type: str, data: Mapping[str, Any]) -> dict[str, str]:
    if type not in TYPES:
        raise ValueError(f"unknown event type {type!r}")
    return {"type": type, "data": json.dumps(dict(data), default=_encode, separators=(",", ":"))}


def _append(pipe: Pipeline, user_id: int, entries: list[dict[str, str]], maxlen: int) -> None:
    """Queue ``entries`` on one user's stream, then one TTL renewal and one new version."""
    key = stream_key(user_id)
    for fields in entries:
        pipe.xadd(key, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
    pipe.expire(key, STREAM_TTL_SECONDS)
    versions.touch(pipe, user_id)


def _send(
    target: redis.Redis | Pipeline, entries: Mapping[int, list[dict[str, str]]], maxlen: int
) -> None:
    """Queue each user's ``entries`` on a pipeline, or send them all in one round trip."""
    if isinstance(target, Pipeline):
        for user_id, fields in entries.items():
            _append(target, user_id, fields, maxlen)
        return
    with target.pipeline(transaction=False) as pipe:
        _send(pipe, entries, maxlen)
        pipe.execute()


def publish(
    connection_or_pipeline: redis.Redis | Pipeline,
    user_id: int,
    type: str,
    data: Mapping[str, Any],
    *,
    maxlen: int = STREAM_MAXLEN,
) -> None:
    """Append one event to ``user_id``'s stream (trimmed to about ``maxlen`` entries).

    Given a pipeline, the commands are queued on it and sent when the caller executes it
    (batch many events in one round trip); given a client, they are sent at once. Redis
    errors propagate: the SQL row is the truth, so callers usually log and carry on.
    """
    _send(connection_or_pipeline, {user_id: [_fields(type, data)]}, maxlen)


def job_data(job: Job, progress: tuple[float, str | None] | None = None) -> dict[str, Any]:
    """Describe ``job`` for an event (``progress`` overrides what the row says)."""
    percent, message = progress if progress is not None else (
        job.progress_percent, job.progress_message
    )  # fmt: skip
    return {
        "job_id": job.id,
        "job_type": job.type,
        "status": job.status,
        "priority": job.priority,
        "attempts": job.attempts,
        "progress": {"percent": percent, "message": message},
        "error": job.error,
        "time_spent_seconds": job.time_spent(),
        "scheduled_for": job.scheduled_for,
        "finished_at": job.finished_at,
        "at": utcnow().isoformat(),
    }


def publish_job(
    connection_or_pipeline: redis.Redis | Pipeline,
    job: Job,
    type: str | None = None,
    *,
    progress: tuple[float, str | None] | None = None,
) -> None:
    """Announce ``job`` to its owner: the event of its status, or ``type`` if given.

    For progress, pass ``type=JOB_PROGRESS`` and ``progress=(percent, message)``.
    """
    event = type or STATUS_EVENTS[job.status]
    publish(connection_or_pipeline, job.user_id, event, job_data(job, progress))


def publish_progress(
    connection: redis.Redis,
    *,
    user_id: int,
    job_id: str,
    job_type: str,
    percent: float,
    message: str | None,
    time_spent_seconds: float,
) -> None:
    """Announce a running job's progress, best effort: a Redis error is logged, not raised,
    so a hiccup never fails the job (the SQL row holds the progress anyway)."""
    data = {
        "job_id": job_id,
        "job_type": job_type,
        "status": "running",
        "progress": {"percent": max(0.0, min(100.0, percent)), "message": message},
        "time_spent_seconds": round(time_spent_seconds, 3),
        "at": utcnow().isoformat(),
    }
    try:
        publish(connection, user_id, JOB_PROGRESS, data)
    except redis.RedisError as error:
        logger.warning("could not publish job progress", extra={"error": str(error)})


def publish_jobs(connection_or_pipeline: redis.Redis | Pipeline, jobs: Iterable[Job]) -> None:
    """Announce each job's current status in one round trip (or on the caller's pipeline)."""
    entries: dict[int, list[dict[str, str]]] = {}
    for job in jobs:
        fields = _fields(STATUS_EVENTS[job.status], job_data(job))
        entries.setdefault(job.user_id, []).append(fields)
    _send(connection_or_pipeline, entries, STREAM_MAXLEN)


def _event(entry_id: bytes | str, fields: Mapping[Any, Any]) -> Event:
    values = {text(name): text(value) for name, value in fields.items()}
    try:
        data = json.loads(values.get("data", "{}"))
    except ValueError:
        data = {}
    return Event(id=text(entry_id), type=values.get("type", ""), data=data)


def latest_id(connection: redis.Redis, user_id: int) -> str:
    """Return the id of the newest event in ``user_id``'s stream (:data:`FIRST_ID` if none).

    A reader starts after this id, never at ``$``: a ``$`` given again on each blocking read
    would drop whatever arrived between two reads.
    """
    newest: Any = connection.xrevrange(stream_key(user_id), count=1)
    return text(newest[0][0]) if newest else FIRST_ID


def read(
    connection: redis.Redis,
    user_id: int,
    last_id: str,
    block_ms: int | None = None,
    *,
    count: int = READ_COUNT,
) -> list[Event]:
    """Return up to ``count`` events after ``last_id``, oldest first.

    With ``block_ms``, wait up to that long for the first one to arrive (it must be at least
    1: ``BLOCK 0`` would wait for ever). Keep it under the client's socket timeout.
    """
    if block_ms is not None and block_ms < 1:
        raise ValueError("block_ms must be at least 1")
    reply: Any = connection.xread({stream_key(user_id): last_id}, count=count, block=block_ms)
    if not reply:
        return []
    # RESP2 answers [[key, entries]]; RESP3 a map {key: [entries]}.
    entries = next(iter(reply.values()))[0] if isinstance(reply, dict) else reply[0][1]
    return [_event(entry_id, fields) for entry_id, fields in entries]
