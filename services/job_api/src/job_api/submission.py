"""Accepting jobs: the SQL rows first, then Redis.

Rows are built here and stored by the caller: with the submissions arriving at the same
time (:mod:`.group_commit`), or with the idempotency record, in one transaction. Only after
that commit does :func:`dispatch_accepted` touch Redis. A crash or a Redis outage between the
two loses nothing: the reconciler (``conveyor_core.jobs.reconcile``) enqueues committed rows
that never reached Redis.

The answer places each queued job in its owner's own line from the line lengths (O(1),
whatever the backlog); ``GET /api/jobs/{id}`` gives the estimate across all users too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app

from conveyor_core.jobs import dispatch, handoff, store
from conveyor_core.jobs.models import Job, JobInput, utcnow
from conveyor_core.jobs.settings import default_timeout
from conveyor_core.jobs.status import QUEUED
from conveyor_web.auth import Principal
from conveyor_web.errors import Unprocessable
from conveyor_web.redis_client import get_redis
from conveyor_web.request_id import current as current_request_id

from .extensions import db
from .payloads import Loaded

logger = logging.getLogger(__name__)


def check_caller(
    spec: dict[str, Any], principal: Principal, claims: dict[str, Any]
) -> dict[str, Any]:
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


@dataclass(frozen=True)
class Accepted:
    """Valid jobs of one request, built but not stored yet, with their inputs and caller."""

    jobs: list[Job]
    inputs: list[JobInput]
    caller: Principal


def add_jobs(
    specs: Sequence[dict[str, Any]], principal: Principal, claims: dict[str, Any], *, batch: bool
) -> Accepted:
    """Validate ``specs`` against the caller and build their rows; all or none."""
    errors = {
        str(i): e for i, spec in enumerate(specs) if (e := check_caller(spec, principal, claims))
    }
    if errors:
        raise Unprocessable(
            "The request is not valid.", errors={"jobs": errors} if batch else errors["0"]
        )
    now = utcnow()
    fallback = current_app.config["JOB_DEFAULT_TIMEOUT"]
    request_id = current_request_id()
    jobs, inputs = [], []
    for spec in specs:
        loaded: Loaded = spec["loaded"]
        job = store.build(
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
            inputs.append(JobInput(job_id=job.id, data=loaded.blob))
        jobs.append(job)
    return Accepted(jobs, inputs, principal)


def commit_group(group: Sequence[Accepted]) -> Mapping[str, int]:
    """Store the jobs of several requests in one transaction, then hand them to Redis in
    one more (see :mod:`.group_commit`); return the place of each queued job.

    The rows go through a connection of their own, not the leading request's session (less
    work per group); the requests of a group hold no transaction meanwhile, so on SQLite
    this one never waits for a write lock its own greenlet holds."""
    jobs = [job for accepted in group for job in accepted.jobs]
    with db.engine.begin() as connection:
        store.insert(connection, jobs, [each for accepted in group for each in accepted.inputs])
    return dispatch_accepted(jobs, [accepted.caller for accepted in group])


def dispatch_accepted(
    jobs: Sequence[Job], callers: Sequence[Principal] = (), connection: redis.Redis | None = None
) -> Mapping[str, int]:
    """Hand committed jobs to Redis (:func:`handoff.hand_off`, with the callers' tiers);
    return each queued one's place in its owner's line."""
    tiers = [(caller.id, caller.tier) for caller in callers if caller.tier]
    return handoff.hand_off(connection or get_redis(), jobs, tiers)


def estimate_places(
    jobs: Sequence[Job], connection: redis.Redis | None = None
) -> Mapping[str, int]:
    """Place jobs not pushed yet as if pushed now (for an answer stored before the push)."""
    lines = dispatch.LinePlaces([dispatch.Run.of(job) for job in jobs if job.status == QUEUED])
    try:
        with (connection or get_redis()).pipeline(transaction=False) as pipe:
            lines.queue(pipe)
            return lines.read_before(pipe.execute())
    except redis.RedisError as error:
        logger.warning("queue places not estimated", extra={"error": str(error)})
        return {}


def place(jobs: Sequence[Job], places: Mapping[str, int]) -> list[Job]:
    """Attach each job's place for the schemas; the fair order is not estimated here."""
    for job in jobs:
        job.queue_position = places.get(job.id)  # type: ignore[attr-defined]
        job.dispatches_ahead = None  # type: ignore[attr-defined]
    return list(jobs)


@dataclass(frozen=True)
class Created:
    """A handler's answer about the jobs it built, before they are stored."""

    status: int
    location: str | None
    accepted: Accepted
    render: Callable[[Mapping[str, int]], Any]
    """The body, given the place of each queued job in its owner's line."""


def created(
    accepted: Accepted, render: Callable[[list[Job]], Any], location: str | None = None
) -> Created:
    """Describe the answer to a submission (not stored yet) for ``idempotency.respond``."""
    return Created(201, location, accepted, lambda places: render(place(accepted.jobs, places)))
