"""Who may see which job: owners their own, admins all; anything else is a 404."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select

from conveyor_shared.auth import Principal, current_principal
from conveyor_shared.jobs import dispatch
from conveyor_shared.jobs.models import Job
from conveyor_shared.redis_client import get_redis

from .exceptions import NotFound
from .extensions import db


def visible_jobs(principal: Principal) -> Select[Any]:
    """Select the jobs ``principal`` may see."""
    query = select(Job)
    if not principal.is_admin:
        query = query.where(Job.user_id == principal.id)
    return query


def get_job(job_id: str) -> Job:
    """Load one job the caller may see, or raise :class:`NotFound` (another user's too)."""
    principal = current_principal()
    job = db.session.get(Job, job_id) if len(job_id) <= 36 else None
    if job is None or (job.user_id != principal.id and not principal.is_admin):
        raise NotFound("Job not found.")
    return job


def with_positions(jobs: Iterable[Job]) -> list[Job]:
    """Attach ``queue_position`` and ``dispatches_ahead`` to each queued job (for the schemas)."""
    listed = list(jobs)
    places = dispatch.positions(get_redis(), listed)
    for job in listed:
        place = places.get(job.id)
        job.queue_position = place.line if place else None  # type: ignore[attr-defined]
        job.dispatches_ahead = place.overall - 1 if place else None  # type: ignore[attr-defined]
    return listed


def release_database() -> None:
    """End the request's SQL transaction before Redis I/O (on SQLite it holds the write lock);
    loaded rows keep their values."""
    db.session.close()
