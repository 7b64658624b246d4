"""A job as answers show it, in two parts: the stored fields, which only a change of the row
alters (so they may be cached), and the live ones, computed when answering: time spent and
time queued while the job runs or waits, and its place in the queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conveyor_core.jobs.models import Job, job_of, utcnow
from conveyor_core.jobs.status import QUEUED, RUNNING

from ...access import with_positions
from .schemas import JobSchema

LIVE_COLUMNS = ("id", "user_id", "status", "priority", "run_id", "run_seconds", "wait_seconds",
                "started_at", "queued_at")  # fmt: skip
"""Columns the live fields are computed from."""

SCHEMA = JobSchema()
"""One instance for every answer: building a schema costs more than a dump."""


def keep(job: Job) -> dict[str, Any]:
    """Return what may be kept of ``job``: its body, and for a waiting or running job the
    columns its live fields need (plain data, so it pickles into the cache)."""
    active = job.status in (QUEUED, RUNNING)
    live = {name: getattr(job, name) for name in LIVE_COLUMNS} if active else None
    return {"body": SCHEMA.dump(job), "live": live}


def is_active(kept: dict[str, Any]) -> bool:
    """Tell whether a kept job may change without job-api's doing (a worker's)."""
    return kept["live"] is not None


def show(kept: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finish kept jobs into answers (one Redis round trip places every queued one)."""
    now = utcnow()
    live = {index: job_of(item["live"]) for index, item in enumerate(kept) if item["live"]}
    with_positions(live.values())
    answers = []
    for index, item in enumerate(kept):
        body = dict(item["body"])
        job = live.get(index)
        if job is not None:
            body["time_spent_seconds"] = job.time_spent(now)
            body["time_queued_seconds"] = job.time_queued(now)
            body["queue_position"] = job.queue_position  # type: ignore[attr-defined]
            body["dispatches_ahead"] = job.dispatches_ahead  # type: ignore[attr-defined]
        answers.append(body)
    return answers
