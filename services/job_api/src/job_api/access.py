"""Who may see which job: owners their own, admins all; anything else is a 404."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from sqlalchemy import Select, select
from werkzeug.routing import BaseConverter

from conveyor_core.jobs import dispatch
from conveyor_core.jobs.models import Job
from conveyor_web.auth import Principal, current_principal
from conveyor_web.errors import NotFound
from conveyor_web.redis_client import get_redis

from .extensions import db

_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""The form of every job id (``str(uuid4())``, see ``models.new_id``)."""


class JobIdConverter(BaseConverter):
    """A job id in a URL: one path segment, but not a word ``/api/jobs`` routes elsewhere.

    Anything else still reaches the view, which answers a 404 for what is no job id (and a
    401 to a caller without a token), so routing does not tell ids apart. Without it,
    ``/api/jobs/batch`` would also be the job "batch" (``OPTIONS`` would list its ``GET``
    and ``DELETE``), and ``/api/jobs/status/cancel`` would be a cancel of the job "status".
    """

    regex = r"(?!(?:batch|status)(?:/|$))[^/]+"


JOB_ID_PARAMETER = {"type": "string", "format": "uuid", "pattern": f"^{_JOB_ID.pattern}$"}
"""How the OpenAPI document describes a job id in a path."""


def visible_jobs(principal: Principal) -> Select[Any]:
    """Select the jobs ``principal`` may see."""
    query = select(Job)
    if not principal.is_admin:
        query = query.where(Job.user_id == principal.id)
    return query


def is_job_id(value: str) -> bool:
    """Tell whether ``value`` could be a job id; anything else names no job."""
    return _JOB_ID.fullmatch(value) is not None


def get_job(job_id: str) -> Job:
    """Load one job the caller may see, or raise :class:`NotFound` (another user's too)."""
    principal = current_principal()
    # Anything that is no job id stays out of SQL: PostgreSQL refuses a NUL byte in a string
    # (a 500), and an over-long one is no job anyway.
    job = db.session.get(Job, job_id) if is_job_id(job_id) else None
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


def end_transaction() -> None:
    """End the request's SQL transaction before Redis I/O (on SQLite it holds the write lock);
    loaded rows keep their values."""
    db.session.close()


def forget_run(run_id: str) -> None:
    """Drop a run from RQ (best effort: the worker skips a run that is not current anyway)."""
    with contextlib.suppress(NoSuchJobError):
        RQJob.fetch(run_id, connection=get_redis()).delete(remove_from_queue=True)
