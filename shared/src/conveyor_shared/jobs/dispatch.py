"""The one place that decides how a run reaches a worker: which RQ queue, in what order.

Each run goes to its owner's own RQ queue for its priority (``user.<id>.<priority>``, a
:class:`~conveyor_shared.fair.FairQueue`), which also makes the owner eligible for the fair
dispatcher. A worker reads the control queue (scheduled releases) first, then asks the
dispatcher for the next job by weighted fair share (``docs/fair-scheduling.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import redis
from rq import Queue

from ..fair import Dispatcher, FairQueue, set_tier
from ..fair import queue_name as fair_queue_name
from .keys import CONTROL_QUEUE, DELETED_USERS_KEY, RELEASE_FUNCTION, RUN_FUNCTION
from .models import Job
from .status import QUEUED

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


def remember_tier(connection: redis.Redis, user_id: int, tier: str) -> None:
    """Tell the dispatcher a user's tier if it knows none (user-service sets it on change)."""
    set_tier(connection, user_id, tier, overwrite=False)


def enqueue(connection: redis.Redis, runs: Sequence[Run]) -> None:
    """Push ``runs`` to their owners' lines in one Redis transaction."""
    if not runs:
        return
    by_queue: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_queue[queue_name(run)].append(run)
    with connection.pipeline() as pipe:
        for name, queued in by_queue.items():
            queue = FairQueue(name, connection=connection)
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
                pipeline=pipe,
            )
        pipe.execute()


def schedule_releases(connection: redis.Redis, due: Sequence[tuple[str, datetime]]) -> None:
    """Ask RQ's scheduler to release each scheduled ``(job_id, at)`` to its queue at ``at``."""
    if not due:
        return
    queue = Queue(CONTROL_QUEUE, connection=connection)
    with connection.pipeline() as pipe:
        for job_id, at in due:
            queue.enqueue_at(
                at,
                RELEASE_FUNCTION,
                job_id,
                job_timeout=60,
                result_ttl=0,
                failure_ttl=FAILURE_TTL,
                description=f"release job {job_id}",
                pipeline=pipe,
            )
        pipe.execute()


def cancel_user_jobs(connection: redis.Redis, user_id: int) -> None:
    """Have the next sweep cancel every unfinished job of ``user_id`` (an account was deleted).

    For user-service, which needs only Redis for it, not the jobs database.
    """
    connection.sadd(DELETED_USERS_KEY, int(user_id))


def positions(
    connection: redis.Redis, jobs: Sequence[Job], accepted: bool = False
) -> dict[str, Place]:
    """Return the :class:`Place` of each queued job in ``jobs`` that waits in its line.

    With ``accepted`` (the answer to a submission, before the push), a job not in its line
    yet is placed as if pushed now. Otherwise such a job (one a worker has just picked, and
    whose row does not say running yet) has no place."""
    queued = [job for job in jobs if job.status == QUEUED and job.run_id]
    if not queued:
        return {}
    dispatcher = Dispatcher(connection, {})
    with connection.pipeline(transaction=False) as pipe:
        for job in queued:
            appended = job.priority if accepted else ""
            dispatcher.position(job.user_id, str(job.run_id), client=pipe, priority=appended)
        found = pipe.execute()
    return {
        job.id: Place(int(place[0]) + 1, int(place[1]) + 1)
        for job, place in zip(queued, found, strict=True)
        if place is not None
    }
