"""Accepting jobs: the SQL rows first, then Redis.

Rows are added to the session here and committed by the caller (with the idempotency
record, in one transaction); only after that commit does :func:`dispatch_accepted` touch
Redis. A crash or a Redis outage between the two loses nothing: the reconciler
(``conveyor_shared.jobs.reconcile``) enqueues committed rows that never reached Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from flask import current_app

from conveyor_shared import events
from conveyor_shared.auth import Principal, current_principal
from conveyor_shared.jobs import dispatch, store
from conveyor_shared.jobs.models import Job, JobInput, utcnow
from conveyor_shared.jobs.status import QUEUED, SCHEDULED
from conveyor_shared.redis_client import get_redis
from conveyor_shared.request_id import current as current_request_id

from .exceptions import Unprocessable
from .extensions import db
from .payloads import Loaded, default_timeout

logger = logging.getLogger(__name__)


def _check(spec: dict[str, Any], principal: Principal, claims: dict[str, Any]) -> dict[str, Any]:
    """Return field errors the caller's identity causes (empty when allowed)."""
    errors: dict[str, Any] = {}
    email = claims.get("email")
    if spec["type"] == "email" and not principal.is_admin:
        to = spec["loaded"].payload["to"]
        if not email or to.lower() != str(email).lower():
            errors["payload"] = {"to": ["You may only send email to your own address."]}
    if spec["notify_email"] and not email:
        errors["notify_email"] = ["Your access token carries no email address to notify."]
    return errors


def add_jobs(
    specs: Sequence[dict[str, Any]], principal: Principal, claims: dict[str, Any], *, batch: bool
) -> list[Job]:
    """Validate ``specs`` against the caller and add their rows; all or none."""
    errors = {str(i): e for i, spec in enumerate(specs) if (e := _check(spec, principal, claims))}
    if errors:
        raise Unprocessable(
            "The request is not valid.", errors={"jobs": errors} if batch else errors["0"]
        )
    now = utcnow()
    fallback = current_app.config["JOB_DEFAULT_TIMEOUT"]
    request_id = current_request_id()
    jobs = []
    for spec in specs:
        loaded: Loaded = spec["loaded"]
        job = store.create(
            db.session,
            store.NewJob(
                user_id=principal.id,
                type=spec["type"],
                payload=loaded.payload,
                priority=spec["priority"],
                max_retries=spec["max_retries"],
                timeout_seconds=spec.get("timeout_seconds")
                or default_timeout(spec["type"], loaded.payload, fallback),
                run_at=spec.get("run_at"),
                notify_email=spec["notify_email"],
                notify_to=claims.get("email") if spec["notify_email"] else None,
                owner_name=claims.get("username"),
                request_id=request_id,
            ),
            now,
        )
        if loaded.blob is not None:
            db.session.add(JobInput(job_id=job.id, data=loaded.blob))
        jobs.append(job)
    return jobs


def dispatch_accepted(jobs: Sequence[Job], connection: redis.Redis | None = None) -> None:
    """Hand committed jobs to Redis; on failure leave them to the reconciler."""
    connection = connection or get_redis()
    try:
        caller = current_principal()
        if caller.tier and any(job.user_id == caller.id for job in jobs):
            dispatch.remember_tier(connection, caller.id, caller.tier)
        dispatch.enqueue(connection, [dispatch.Run.of(job) for job in jobs if job.status == QUEUED])
        dispatch.schedule_releases(
            connection,
            [
                (job.id, job.scheduled_for)
                for job in jobs
                if job.status == SCHEDULED and job.scheduled_for
            ],
        )
        events.publish_jobs(connection, jobs)  # job.queued / job.scheduled for GET /api/events
    except redis.RedisError as error:
        logger.warning(
            "jobs committed but not enqueued; the reconciler will enqueue them",
            extra={"jobs": len(jobs), "error": str(error)},
        )
