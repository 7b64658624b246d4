"""Running one attempt of a job: claim the row, run the handler, record how it ended.

:func:`attempt` claims the row first (one conditional ``UPDATE … RETURNING``): a duplicate
delivery, a stale run or a canceled job finds nothing to claim and returns at once, so a
job runs once even when it is delivered twice. Then it runs the handler for the job's type
and records how it ended. Redis work at each edge of the run (the event, the lease, the
cancel check; at the end also the caller's own, such as the fair dispatcher's charge) goes
in one pipeline: one round trip per edge.

Redis work after a commit is best effort: a Redis error is logged, never raised out of
:func:`attempt`, since the row already holds the truth and the reconciler's sweep repairs
what Redis missed (a run not enqueued, a release not scheduled, an owed email: the row's
``email_owed`` mark, see :mod:`conveyor_shared.jobs.outbox`).

The worker calls :func:`attempt` directly for a run the fair dispatcher picked. The RQ job
functions are :func:`run` (the same attempt, for a run RQ itself delivers) and
:func:`release` (RQ's scheduler moving a scheduled job to its queue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from conveyor_shared import events as streams
from conveyor_shared.fair import execute_pipeline
from conveyor_shared.jobs import backoff, dispatch, events, journal, outbox, runs, store
from conveyor_shared.jobs.models import Job, utcnow
from conveyor_shared.jobs.status import CANCELED, COMPLETED, FAILED, QUEUED, SCHEDULED
from conveyor_shared.logs import job_id_var, request_id_var, user_id_var

from . import handlers, runtime
from .context import JobContext, Outcome
from .exceptions import JobStopped, JobTimedOut, WorkerShutdown
from .monitor import Monitor
from .runtime import Runtime

logger = logging.getLogger(__name__)

DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
"""What SQLAlchemy raises for a database that refused, dropped or never answered a
connection (psycopg's ``connect_timeout``, see ``conveyor_shared.jobs.db``)."""


@dataclass
class Attempt:
    """How one attempt ended."""

    run_id: str
    status: str | None = None
    """The row's status afterwards; ``None`` if the run was not current and nothing ran."""
    result: dict[str, Any] | None = None
    error: BaseException | None = None
    """What the handler raised (re-raised to RQ by :func:`run`)."""
    ran: float = 0.0
    """Seconds in the handler, less progress bookkeeping: what the owner is charged."""
    retry_in: float | None = None
    """Seconds until the retry of a failed attempt, if it is retried."""


EndHook = Callable[[Any, Attempt], None]
"""Queues the caller's own end-of-run commands on the pipeline (scripts as bare ``EVALSHA``:
one Redis lost is run again, see :func:`~conveyor_shared.fair.execute_pipeline`)."""


def release(job_id: str) -> bool:
    """Queue a scheduled job whose time has come; ``False`` if it was not scheduled."""
    rt = runtime.get()
    with rt.sessions() as session:
        job = store.release(session, job_id)
        session.commit()
    if job is None:
        return False
    journal.record("job.released", job)  # a retry's (or a delayed job's) time has come
    with _after_commit("enqueue the released job"):
        dispatch.enqueue(rt.redis, [dispatch.Run.of(job)])
    events.publish(rt.redis, job)
    return True


def run(job_id: str, run_id: str) -> dict[str, Any] | None:
    """Run one attempt of a job (RQ entry point)."""
    done = attempt(runtime.get(), run_id, job_id)
    if done.error is not None:
        raise done.error
    return done.result


def attempt(
    rt: Runtime,
    run_id: str,
    job_id: str | None = None,
    on_start: Callable[[Any], None] | None = None,
    on_end: EndHook | None = None,
) -> Attempt:
    """Run the attempt ``run_id`` (of ``job_id``, if known); ``on_start`` and ``on_end`` add
    to its first and last round trips. Only a worker shutdown propagates; every other error
    is in the result."""
    done = Attempt(run_id)
    try:
        with rt.sessions() as session:
            job = runs.claim(session, job_id, run_id, rt.worker_name, utcnow())
            session.commit()
    except DATABASE_UNREACHABLE as error:
        # Nothing ran and nothing was committed: hand the run back (the caller's ``on_end``
        # releases it) rather than end the worker, which outlives the database's outage.
        logger.warning("database unreachable; run handed back", extra={"error": str(error)})
        done.status, done.error = QUEUED, error
        pipe = rt.redis.pipeline(transaction=False)
        if on_end is not None:
            on_end(pipe, done)
        _send(rt, pipe)
        return done
    if job is None:
        logger.info("run is not current; skipped", extra={"job": job_id, "run": run_id})
        pipe = rt.redis.pipeline(transaction=False)
        if on_end is not None:
            on_end(pipe, done)
        _send(rt, pipe)
        return done
    tokens = (job_id_var.set(job.id), user_id_var.set(str(job.user_id)),
              request_id_var.set(job.request_id))  # fmt: skip
    journal.record("job.started", job)
    monitor = rt.monitor
    context = JobContext(rt, job)

    def announce(pipe: Any) -> None:
        streams.publish_job(pipe, job)
        if on_start is not None:
            on_start(pipe)

    if monitor is not None:
        monitor.begin(job.id, run_id, job.timeout_seconds, announce)
    else:
        pipe = rt.redis.pipeline(transaction=False)
        announce(pipe)
        _send(rt, pipe)
    ended: Job | None = None
    try:
        try:
            if monitor is not None:
                monitor.enter_body()
            context.enter_body()
            outcome = handlers.for_type(job.type)(context)
        finally:
            context.leave_body()
            # The owner is charged the run less the progress bookkeeping (the platform's).
            done.ran = max(0.0, context.run_seconds - context.bookkeeping)
            if monitor is not None:
                monitor.leave_body()
        done.result = outcome.result
        ended = _completed(rt, context, outcome)
        done.status = COMPLETED if ended is not None else None
    except JobStopped as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status = CANCELED if _stopped(rt, context) else None
    except (WorkerShutdown, SystemExit, KeyboardInterrupt) as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status = QUEUED if _hand_back(rt, context) else None
        raise
    except JobTimedOut as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status, done.retry_in = _failed(rt, context, str(error))
    except Exception as error:
        done.error = error
        _announce_start(monitor)
        done.status, done.retry_in = _failed(rt, context, _describe(error))
    finally:
        pipe = rt.redis.pipeline(transaction=False)
        if monitor is not None:
            monitor.end(pipe)
        if ended is not None:
            streams.publish_job(pipe, ended)
        if on_end is not None:
            on_end(pipe, done)
        _send(rt, pipe)
        _journal(job, context, done)
        job_id_var.reset(tokens[0])
        user_id_var.reset(tokens[1])
        request_id_var.reset(tokens[2])
    if ended is not None and ended.email_owed:
        _notify(rt, ended)
    return done


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


_ENDINGS = {COMPLETED: "job.completed", CANCELED: "job.canceled", QUEUED: "job.requeued",
            SCHEDULED: "job.retried", FAILED: "job.failed"}  # fmt: skip
"""The journal event of each way an attempt can end (a timeout is ``job.timed_out``)."""


def _journal(job: Job, context: JobContext, done: Attempt) -> None:
    """Log how the attempt ended (nothing if the run was no longer current)."""
    if done.status is None:
        return
    timed_out = isinstance(done.error, JobTimedOut)
    event = "job.timed_out" if timed_out else _ENDINGS.get(done.status, "job.ended")
    fields: dict[str, Any] = {}
    if done.status in (FAILED, SCHEDULED) and done.error is not None:
        fields["error"] = str(done.error) if timed_out else _describe(done.error)
    if done.retry_in is not None:
        fields["retry_in_seconds"] = round(done.retry_in, 3)
    bad = done.status == FAILED or timed_out
    journal.record(
        event, job, level=logging.WARNING if bad else logging.INFO,
        attempt_seconds=context.run_seconds, status=done.status,
        run_seconds=round((job.run_seconds or 0.0) + context.run_seconds, 3), **fields,
    )  # fmt: skip


def _discard_connections(rt: Runtime) -> None:
    """Record an interrupted run's end on fresh database connections.

    The interrupt is raised between two bytecodes of the handler, which may be inside its
    own SQL (an export's query): that pooled connection can be left mid-statement, and the
    pool would hand it out again (psycopg: "connection in transaction status ACTIVE")."""
    rt.engine.dispose()


def _announce_start(monitor: Monitor | None) -> None:
    """Send a pending start before the end's own events (a failure publishes its own)."""
    if monitor is not None:
        try:
            monitor.announce_now()
        except redis.RedisError as error:
            logger.warning("could not announce the job's start", extra={"error": str(error)})


@contextmanager
def _after_commit(what: str) -> Iterator[None]:
    """Log a Redis error of work done after a commit instead of raising it (the sweep
    repairs it)."""
    try:
        yield
    except redis.RedisError as error:
        logger.warning("could not reach Redis after a commit; the sweep repairs it",
                       extra={"step": what, "error": str(error)})  # fmt: skip


def _send(rt: Runtime, pipe: Any) -> None:
    """Send one edge's Redis writes in one round trip, best effort (the SQL row already
    holds the truth)."""
    try:
        replies = execute_pipeline(rt.redis, pipe, raise_on_error=False)
    except redis.RedisError as error:
        logger.warning("could not reach Redis at a job edge", extra={"error": str(error)})
        return
    for reply in replies:
        if isinstance(reply, Exception):
            logger.warning("a job edge's Redis command failed", extra={"error": str(reply)})


def _completed(rt: Runtime, context: JobContext, outcome: Outcome) -> Job | None:
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


def _failed(rt: Runtime, context: JobContext, error: str) -> tuple[str | None, float | None]:
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
        with _after_commit("schedule the retry"):
            dispatch.schedule_releases(rt.redis, [(context.job_id, due)])
    if status is not None:
        _announce(rt, context.job_id)
    return status, retry_in if status == SCHEDULED else None


def _stopped(rt: Runtime, context: JobContext) -> bool:
    with rt.sessions() as session:
        done = runs.stopped(session, context.job_id, context.run_id, elapsed=context.run_seconds,
                             now=utcnow())  # fmt: skip
        session.commit()
    if done:
        _announce(rt, context.job_id)
    return done


def _hand_back(rt: Runtime, context: JobContext) -> bool:
    with rt.sessions() as session:
        job = runs.hand_back(session, context.job_id, context.run_id, elapsed=context.run_seconds,
                              now=utcnow())  # fmt: skip
        session.commit()
    if job is None:
        return False
    with _after_commit("enqueue the handed-back job"):
        dispatch.enqueue(rt.redis, [dispatch.Run.of(job)])
    events.publish(rt.redis, job)
    return True


def _announce(rt: Runtime, job_id: str) -> None:
    """Publish the job's new state; email its owner if it ended and they asked."""
    with rt.sessions() as session:
        job = store.fetch(session, job_id)
    if job is None:
        return
    events.publish(rt.redis, job)
    if job.email_owed:
        _notify(rt, job)


def _notify(rt: Runtime, job: Job) -> None:
    """Enqueue the email the job's ending owes its owner, then clear the row's mark; on a
    Redis error the mark stays and the sweep sends the email."""
    with _after_commit("enqueue the job's email"):
        outbox.send(rt.redis, job, rt.config["PUBLIC_URL"])
        try:
            with rt.sessions() as session:
                outbox.settle(session, job)
                session.commit()
        except SQLAlchemyError as error:  # the mark left set costs one harmless resend
            logger.warning("could not clear the job's email mark", extra={"error": str(error)})
