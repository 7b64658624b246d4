"""The one place that decides how a run reaches a worker: which RQ queue, in what order.

Each run goes to its owner's own RQ queue for its priority (``user.<id>.<priority>``, the
lines :class:`~conveyor_core.fair.FairQueue` names), and the push activates the owner in the
fair dispatcher, once per owner per push. A worker reads the control queue (scheduled
releases) first, then asks the dispatcher for the next job by weighted fair share
(``docs/fair-scheduling.md``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import redis
from redis.client import Pipeline
from rq import Queue

from conveyor_core.fair import PRIORITIES, Dispatcher, execute_pipeline, queue_activate, queue_tier
from conveyor_core.fair import queue_name as fair_queue_name
from conveyor_core.jobs.keys import (
    CONTROL_QUEUE,
    DELETED_USERS_KEY,
    RELEASE_FUNCTION,
    RUN_FUNCTION,
)
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import QUEUED

RQ_TIMEOUT_MARGIN = 60
"""RQ's own timeout is the job's plus this: a backstop; the worker enforces the real one."""

RESULT_TTL = 300
"""Seconds RQ keeps a run's return value (the SQL row keeps the real result for good)."""

FAILURE_TTL = 7 * 24 * 3600
"""Seconds RQ keeps a failed run in its failed registry (for rq-dashboard)."""


@dataclass(frozen=True)
class Run:
    """One attempt of a job, as RQ carries it: the RQ job id is ``run_id``."""

    job_id: str
    run_id: str
    user_id: int
    type: str
    priority: str
    timeout_seconds: int
    request_id: str | None = None

    @classmethod
    def of(cls, job: Job) -> Run:
        """Describe the current run of a queued ``job``."""
        if job.run_id is None:
            raise ValueError(f"job {job.id} has no run to enqueue")
        return cls(
            job_id=job.id,
            run_id=job.run_id,
            user_id=job.user_id,
            type=job.type,
            priority=job.priority,
            timeout_seconds=job.timeout_seconds,
            request_id=job.request_id,
        )


class Place(NamedTuple):
    """Where a queued job stands: 1 = next."""

    line: int
    """Place in its owner's own line (exact)."""
    overall: int
    """Estimated place among every user's dispatches (the fair order replayed)."""


def queue_name(run: Run) -> str:
    """Name the RQ queue for ``run``: its owner's line for its priority."""
    return fair_queue_name(run.user_id, run.priority)


def worker_queue_names() -> list[str]:
    """Queues a worker listens on through RQ itself; per-user queues go via the dispatcher."""
    return [CONTROL_QUEUE]


def remember_tier(pipeline: Pipeline, user_id: int, tier: str) -> None:
    """Tell the dispatcher a user's tier if it knows none (user-service sets it on change),
    on ``pipeline``: run it with :func:`~conveyor_core.fair.execute_pipeline`."""
    queue_tier(pipeline, user_id, tier, overwrite=False)


def enqueue(connection: redis.Redis, runs: Sequence[Run], pipeline: Pipeline | None = None) -> None:
    """Push ``runs`` to their owners' lines in one Redis transaction, then activate each
    owner once.

    Given a ``pipeline``, the commands are queued on it and sent when its owner executes it
    (with :func:`~conveyor_core.fair.execute_pipeline`: the activations are bare
    ``EVALSHA`` calls)."""
    if not runs:
        return
    if pipeline is None:
        with connection.pipeline() as pipe:
            enqueue(connection, runs, pipe)
            execute_pipeline(connection, pipe)
        return
    by_queue: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_queue[queue_name(run)].append(run)
    for name, queued in by_queue.items():
        # A plain queue: FairQueue would activate the owner once per job (see below).
        queue = Queue(name, connection=connection)
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    RUN_FUNCTION,
                    args=(run.job_id, run.run_id),
                    job_id=run.run_id,
                    timeout=run.timeout_seconds + RQ_TIMEOUT_MARGIN,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                    description=f"{run.type} job {run.job_id} (user {run.user_id})",
                    meta={"job_id": run.job_id, "request_id": run.request_id},
                )
                for run in queued
            ],
            pipeline=pipeline,
        )
    # One activation per owner, waking as many idle workers as the owner has new runs.
    for user_id, pushed in Counter(run.user_id for run in runs).items():
        queue_activate(pipeline, user_id, pushed)


def release_time(at: datetime) -> datetime:
    """``at`` rounded up to the next whole second (UTC).

    RQ's scheduled registry scores a job by whole seconds, truncated, and releases it once that
    second has begun: left as it is, a job due at 12.5 s could start at 12.0 s. Rounded up, a
    release is never early; it may be up to a second late, as RQ's polling makes it anyway.
    A naive ``at`` is taken as UTC, like every time the job store hands out."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return datetime.fromtimestamp(math.ceil(at.timestamp()), UTC)


def schedule_releases(
    connection: redis.Redis,
    due: Sequence[tuple[str, datetime]],
    pipeline: Pipeline | None = None,
) -> None:
    """Ask RQ's scheduler to release each scheduled ``(job_id, at)`` to its queue at ``at``
    (never before). Given a ``pipeline``, the commands are queued on it."""
    if not due:
        return
    if pipeline is None:
        with connection.pipeline() as pipe:
            schedule_releases(connection, due, pipe)
            pipe.execute()
        return
    queue = Queue(CONTROL_QUEUE, connection=connection)
    for job_id, at in due:
        queue.enqueue_at(
            release_time(at),
            RELEASE_FUNCTION,
            job_id,
            job_timeout=60,
            result_ttl=0,
            failure_ttl=FAILURE_TTL,
            description=f"release job {job_id}",
            pipeline=pipeline,
        )


def cancel_user_jobs(connection: redis.Redis, user_id: int) -> None:
    """Have the next sweep cancel every unfinished job of ``user_id`` (an account was deleted).

    For user-service, which needs only Redis for it, not the jobs database.
    """
    connection.sadd(DELETED_USERS_KEY, int(user_id))


def positions(connection: redis.Redis, jobs: Sequence[Job]) -> dict[str, Place]:
    """Return the :class:`Place` of each queued job in ``jobs`` that waits in its line.

    A job not in its line (one a worker has just picked, and whose row does not say running
    yet) has no place. Each place replays the fair order across active users: for many jobs
    or users, prefer :class:`LinePlaces` where the owner's own line is enough."""
    queued = [job for job in jobs if job.status == QUEUED and job.run_id]
    if not queued:
        return {}
    dispatcher = Dispatcher(connection, {})
    with connection.pipeline(transaction=False) as pipe:
        for job in queued:
            dispatcher.position(job.user_id, str(job.run_id), client=pipe)
        found = pipe.execute()
    return {
        job.id: Place(int(place[0]) + 1, int(place[1]) + 1)
        for job, place in zip(queued, found, strict=True)
        if place is not None
    }


class LinePlaces:
    """Places of runs being pushed, from their owners' line lengths: O(1) per owner.

    :meth:`read_after` reads lengths that include the pushes (queued on the push's own
    transaction, so exact); :meth:`read_before` lengths taken before them (an estimate for an
    answer that must be written before the push). Places are 1-based, in the owner's own
    line (higher priorities first); the fair order across users is not walked."""

    def __init__(self, runs: Sequence[Run]) -> None:
        self.runs = list(runs)
        self.lines = sorted({(run.user_id, priority) for run in runs for priority in PRIORITIES})

    def queue(self, pipe: Pipeline) -> int:
        """Queue one ``LLEN`` per line on ``pipe``; return how many replies they take."""
        prefix = Queue.redis_queue_namespace_prefix
        for user_id, priority in self.lines:
            pipe.llen(prefix + fair_queue_name(user_id, priority))
        return len(self.lines)

    def read_after(self, lengths: Sequence[int]) -> dict[str, int]:
        """Place each run, given the lengths :meth:`queue` read after the pushes."""
        return self._places(dict(zip(self.lines, map(int, lengths), strict=True)), pushed=True)

    def read_before(self, lengths: Sequence[int]) -> dict[str, int]:
        """Place each run as if pushed now, given the lengths read before the pushes."""
        return self._places(dict(zip(self.lines, map(int, lengths), strict=True)), pushed=False)

    def _places(self, lengths: dict[tuple[int, str], int], pushed: bool) -> dict[str, int]:
        pushes: dict[tuple[int, str], int] = defaultdict(int)
        for run in self.runs:
            pushes[(run.user_id, run.priority)] += 1
        if not pushed:  # what the lines will hold once these runs are in
            lengths = {line: length + pushes[line] for line, length in lengths.items()}
        seen: dict[tuple[int, str], int] = defaultdict(int)
        places = {}
        for run in self.runs:
            line = (run.user_id, run.priority)
            ahead = sum(
                lengths[(run.user_id, p)] for p in PRIORITIES[: PRIORITIES.index(run.priority)]
            )
            seen[line] += 1  # this run is the seen-th of its line's pushes, at the tail
            places[run.job_id] = ahead + lengths[line] - pushes[line] + seen[line]
        return places
