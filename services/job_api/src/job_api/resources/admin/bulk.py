"""Bulk actions over every user's jobs: retry the failed ones, cancel the queued ones, that
match a filter. Each job goes through the same store calls as its single-job route."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from conveyor_core.jobs import events, store
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import FAILED, QUEUED, TYPES
from conveyor_core.jobs.store import AnySession
from conveyor_web.redis_client import get_redis

from ... import submission
from ...access import forget_run

MAX_JOBS = 1000
"""Most jobs one bulk call changes; ``more`` says whether others still match."""

MAX_USER_ID = 2**31 - 1


class BulkFilter(ma.Schema):
    """Which jobs a bulk action takes (every one in the status when empty)."""

    type = ma.fields.String(validate=validate.OneOf(TYPES))
    user_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_USER_ID))


class BulkResultSchema(ma.Schema):
    changed = ma.fields.Integer(metadata={"description": "How many jobs this call changed"})
    job_ids = ma.fields.List(ma.fields.String())
    more = ma.fields.Boolean(metadata={"description": "More jobs match: call again"})


def matching(session: AnySession, status: str, wanted: dict[str, Any]) -> tuple[list[str], bool]:
    """Return up to MAX_JOBS ids of jobs in ``status`` that match, oldest first, and whether
    more match."""
    query = select(Job.id).where(Job.status == status)
    if "type" in wanted:
        query = query.where(Job.type == wanted["type"])
    if "user_id" in wanted:
        query = query.where(Job.user_id == wanted["user_id"])
    ids = list(session.scalars(query.order_by(Job.created_at).limit(MAX_JOBS + 1)))
    return ids[:MAX_JOBS], len(ids) > MAX_JOBS


def retry_failed(session: AnySession, wanted: dict[str, Any]) -> dict[str, Any]:
    """Queue every matching failed job again (a job that moved meanwhile is left alone)."""
    ids, more = matching(session, FAILED, wanted)
    retried = [job for job in (store.retry(session, job_id) for job_id in ids) if job]
    session.commit()
    if retried:
        submission.dispatch_accepted(retried)
    return {"changed": len(retried), "job_ids": [job.id for job in retried], "more": more}


def cancel_queued(session: AnySession, wanted: dict[str, Any]) -> dict[str, Any]:
    """Cancel every matching queued job at once (one that started meanwhile is left alone)."""
    ids, more = matching(session, QUEUED, wanted)
    canceled: list[Job] = []
    for job_id in ids:
        job = store.fetch(session, job_id)
        if job is not None and job.status == QUEUED and store.cancel(session, job_id) == "canceled":
            canceled.append(store.fetch(session, job_id) or job)
    session.commit()
    connection = get_redis()
    for job in canceled:
        events.publish(connection, job)
        if job.run_id:
            forget_run(job.run_id)
    return {"changed": len(canceled), "job_ids": [job.id for job in canceled], "more": more}
