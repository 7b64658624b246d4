"""The ``snapshot`` event: a user's queued jobs (with positions) and running jobs (with
progress and time spent), read from the SQL rows, which are the truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine, case, select
from sqlalchemy.orm import Session

from conveyor_core.jobs import dispatch, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.status import PRIORITIES, QUEUED, RUNNING

from .schemas import SnapshotSchema

ACTIVE = (RUNNING, QUEUED)
"""Statuses a snapshot lists."""

_SCHEMA = SnapshotSchema()


def _order() -> list[Any]:
    running_first = case((Job.status == RUNNING, 0), else_=1)
    rank = case({name: rank for rank, name in enumerate(PRIORITIES)}, value=Job.priority, else_=1)
    return [running_first, rank, Job.queued_at, Job.id]


def _item(job: Job, place: dispatch.Place | None, now: datetime) -> dict[str, Any]:
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "priority": job.priority,
        "attempts": job.attempts,
        "progress": {"percent": job.progress_percent, "message": job.progress_message},
        "queue_position": place.line if place else None,
        "dispatches_ahead": place.overall - 1 if place else None,
        "queued_at": job.queued_at,
        "time_queued_seconds": job.time_queued(now),
        "started_at": job.started_at if job.status == RUNNING else None,
        "time_spent_seconds": job.time_spent(now),
    }


def take(engine: Engine, connection: redis.Redis, user_id: int, limit: int) -> dict[str, Any]:
    """Return the snapshot of ``user_id``'s jobs, listing at most ``limit`` of them.

    Each call uses its own short session, so an open stream holds no database connection
    between snapshots.
    """
    with Session(engine) as session:
        jobs = list(
            session.scalars(
                select(Job)
                .where(Job.user_id == user_id, Job.status.in_(ACTIVE))
                .order_by(*_order())
                .limit(limit + 1)
            )
        )
        if len(jobs) > limit:
            jobs = jobs[:limit]
            counts = store.count_by_status(session, Job.user_id == user_id,
                                           Job.status.in_(ACTIVE))  # fmt: skip
        else:
            counts = {status: sum(job.status == status for job in jobs) for status in ACTIVE}
        places = dispatch.positions(connection, jobs)
        now = utcnow()
        items = [_item(job, places.get(job.id), now) for job in jobs]
    items.sort(key=lambda item: (item["status"] != RUNNING, item["queue_position"] or 0))
    return _SCHEMA.dump(
        {
            "at": now,
            "running": counts.get(RUNNING, 0),
            "queued": counts.get(QUEUED, 0),
            "truncated": counts.get(RUNNING, 0) + counts.get(QUEUED, 0) > len(items),
            "jobs": items,
        }
    )
