"""The record of how a run ended: the row's conditional ``UPDATE`` for each ending
(completed, failed with or without a retry, stopped, handed back), then the Redis work
after the commit, best effort: the event, the retry's release, the owner's email.

A Redis error after a commit is logged, never raised: the row holds the truth and the
reconciler's sweep repairs what Redis missed (see :mod:`conveyor_core.jobs.reconcile`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import redis
from sqlalchemy.exc import SQLAlchemyError

from conveyor_core.jobs import backoff, dispatch, events, outbox, runs, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.status import SCHEDULED

from .context import JobContext, Outcome
from .runtime import Runtime

logger = logging.getLogger(__name__)


@contextmanager
def after_commit(what: str) -> Iterator[None]:
    """Log a Redis error of work done after a commit instead of raising it (the sweep
    repairs it)."""
    try:
        yield
    except redis.RedisError as error:
        logger.warning("could not reach Redis after a commit; the sweep repairs it",
                       extra={"step": what, "error": str(error)})  # fmt: skip


def completed(rt: Runtime, context: JobContext, outcome: Outcome) -> Job | None:
    artifact = None
    if outcome.artifact is not None:
        name, media_type = outcome.artifact
        size = (rt.artifacts_dir / context.job_id / name).stat().st_size
        artifact = (name, media_type, size)
    with rt.sessions() as session:
        done = runs.complete(
            session, context.job_id, context.run_id, result=outcome.result,
            elapsed=context.run_seconds, now=utcnow(), artifact=artifact,
        )  # fmt: skip
        session.commit()
    return done


def failed(rt: Runtime, context: JobContext, error: str) -> tuple[str | None, float | None]:
    """Record a failed attempt; return the new status and the retry's delay, if any."""
    now = utcnow()
    base = float(rt.config["JOB_RETRY_BASE_SECONDS"])
    cap = float(rt.config["JOB_RETRY_MAX_SECONDS"])
    with rt.sessions() as session:
        job = store.fetch(session, context.job_id)
        if job is None:
            return None, None
        retry_in = None
        if runs.retries_left(job) and not job.cancel_requested:
            retry_in = backoff.retry_delay(job.attempts - job.retry_floor, base, cap)
        status = runs.fail(
            session, context.job_id, context.run_id, error=error, elapsed=context.run_seconds,
            now=now, retry_in=retry_in,
        )  # fmt: skip
        session.commit()
    if status == SCHEDULED and retry_in is not None:
        due = now + timedelta(seconds=retry_in)
        with after_commit("schedule the retry"):
            dispatch.schedule_releases(rt.redis, [(context.job_id, due)])
    if status is not None:
        announce(rt, context.job_id)
    return status, retry_in if status == SCHEDULED else None


def stopped(rt: Runtime, context: JobContext) -> bool:
    with rt.sessions() as session:
        done = runs.stopped(session, context.job_id, context.run_id, elapsed=context.run_seconds,
                             now=utcnow())  # fmt: skip
        session.commit()
    if done:
        announce(rt, context.job_id)
    return done


def hand_back(rt: Runtime, context: JobContext) -> bool:
    with rt.sessions() as session:
        job = runs.hand_back(session, context.job_id, context.run_id, elapsed=context.run_seconds,
                              now=utcnow())  # fmt: skip
        session.commit()
    if job is None:
        return False
    with after_commit("enqueue the handed-back job"):
        dispatch.enqueue(rt.redis, [dispatch.Run.of(job)])
    events.publish(rt.redis, job)
    return True


def announce(rt: Runtime, job_id: str) -> None:
    """Publish the job's new state; email its owner if it ended and they asked."""
    with rt.sessions() as session:
        job = store.fetch(session, job_id)
    if job is None:
        return
    events.publish(rt.redis, job)
    if job.email_owed:
        notify(rt, job)


def notify(rt: Runtime, job: Job) -> None:
    """Enqueue the email the job's ending owes its owner, then clear the row's mark; on a
    Redis error the mark stays and the sweep sends the email."""
    with after_commit("enqueue the job's email"):
        outbox.send(rt.redis, job, rt.config["PUBLIC_URL"])
        try:
            with rt.sessions() as session:
                outbox.settle(session, job)
                session.commit()
        except SQLAlchemyError as error:  # the mark left set costs one harmless resend
            logger.warning("could not clear the job's email mark", extra={"error": str(error)})
