"""The one place that decides how a run reaches a worker: which RQ queue, in what order.

Runs go to one RQ queue per priority (``jobs.high``, ``jobs.normal``, ``jobs.low``); a
worker reads the control queue first, then the work queues from most to least urgent, so
within one priority it is first come, first served. Fair scheduling across users replaces
this module (``enqueue`` / ``worker_queue_names`` / ``position``) and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from rq import Queue
from sqlalchemy import case, func, select

from .keys import (
    CONTROL_QUEUE,
    DELETED_USERS_KEY,
    QUEUE_PREFIX,
    RELEASE_FUNCTION,
    RUN_FUNCTION,
)
from .models import Job
from .status import PRIORITIES, QUEUED
from .store import AnySession

RQ_TIMEOUT_MARGIN = 60
"""RQ's own timeout is the job's plus this: a backstop; the worker enforces the real one."""

RESULT_TTL = 300
"""Seconds RQ keeps a run's return value (the SQL row keeps the real result for good)."""

FAILURE_TTL = 7 * 24 * 3600
"""Seconds RQ keeps a failed run in its failed registry (for rq-dashboard)."""

WORK_QUEUES = tuple(f"{QUEUE_PREFIX}{priority}" for priority in PRIORITIES)
"""The work queues, most urgent first."""


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


def queue_name(priority: str) -> str:
    """Name the RQ queue for runs of ``priority``."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")
    return f"{QUEUE_PREFIX}{priority}"


def worker_queue_names() -> list[str]:
    """Queues a worker listens on, in the order it reads them."""
    return [CONTROL_QUEUE, *WORK_QUEUES]


def enqueue(connection: redis.Redis, runs: Sequence[Run]) -> None:
    """Push ``runs`` to their queues in one Redis transaction."""
    if not runs:
        return
    by_queue: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_queue[queue_name(run.priority)].append(run)
    with connection.pipeline() as pipe:
        for name, queued in by_queue.items():
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


def _rank(priority: Any) -> Any:
    return case({name: rank for rank, name in enumerate(PRIORITIES)}, value=priority, else_=1)


def positions(session: AnySession, jobs: Sequence[Job]) -> dict[str, int]:
    """Return, for each queued job in ``jobs``, how many runs a worker takes before it
    (1 = next), in one query over the queued jobs."""
    ids = [job.id for job in jobs if job.status == QUEUED]
    if not ids:
        return {}
    order = (_rank(Job.priority), Job.queued_at, Job.id)
    line = (
        select(Job.id, func.row_number().over(order_by=order).label("position"))
        .where(Job.status == QUEUED)
        .subquery()
    )
    rows = session.execute(select(line.c.id, line.c.position).where(line.c.id.in_(ids)))
    return {job_id: int(place) for job_id, place in rows}
