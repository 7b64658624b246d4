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
``email_owed`` mark, see :mod:`conveyor_core.jobs.outbox`).

The worker calls :func:`attempt` directly for a run the fair dispatcher picked. The RQ job
functions are :func:`run` (the same attempt, for a run RQ itself delivers) and
:func:`release` (RQ's scheduler moving a scheduled job to its queue).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import redis
from sqlalchemy.exc import InterfaceError, OperationalError

from conveyor_core import streams
from conveyor_core.fair import execute_pipeline
from conveyor_core.jobs import dispatch, events, journal, runs, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.status import CANCELED, COMPLETED, FAILED, QUEUED, SCHEDULED
from conveyor_core.logs import job_id_var, request_id_var, user_id_var

from . import endings, handlers, runtime
from .context import JobContext, Outcome
from .exceptions import JobStopped, JobTimedOut, WorkerShutdown
from .monitor import Monitor
from .runtime import Runtime

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
"""What SQLAlchemy raises for a database that refused, dropped or never answered a
connection (psycopg's ``connect_timeout``, see ``conveyor_core.jobs.db``)."""


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
    replies: list[Any] = field(default_factory=list)
    """The replies of the end's round trip, in the order queued (empty if it failed):
    where ``on_end`` finds the answers to what it queued."""


EndHook = Callable[[Any, Attempt], None]
"""Queues the caller's own end-of-run commands on the pipeline (scripts as bare ``EVALSHA``:
one Redis lost is run again, see :func:`~conveyor_core.fair.execute_pipeline`)."""


def release(job_id: str) -> bool:
    """Queue a scheduled job whose time has come; ``False`` if it was not scheduled."""
    rt = runtime.get()
    with rt.sessions() as session:
        job = store.release(session, job_id)
        session.commit()
    if job is None:
        return False
    journal.record("job.released", job)  # a retry's (or a delayed job's) time has come
    with endings.after_commit("enqueue the released job"):
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
    job = _claim(rt, done, job_id)
    if job is None:
        _end(rt, None, done, on_end)  # nothing ran: only the caller's own end commands
        return done
    context = JobContext(rt, job)
    ended: Job | None = None
    with contextlib.ExitStack() as scope:
        for variable, value in ((job_id_var, job.id), (user_id_var, str(job.user_id)),
                                (request_id_var, job.request_id)):  # fmt: skip
            scope.callback(variable.reset, variable.set(value))
        journal.record("job.started", job)
        _begin(rt, job, on_start)
        try:
            ended = _run(rt, context, done)
        finally:
            _end(rt, ended, done, on_end)
            _journal(job, context, done)
    if ended is not None and ended.email_owed:
        endings.notify(rt, ended)
    return done


def _claim(rt: Runtime, done: Attempt, job_id: str | None) -> Job | None:
    """Claim the run's row; ``None`` if it is not current or the database is unreachable."""
    try:
        with rt.sessions() as session:
            job = runs.claim(session, job_id, done.run_id, rt.worker_name, utcnow())
            session.commit()
    except DATABASE_UNREACHABLE as error:
        # Nothing ran and nothing was committed: hand the run back (the caller's ``on_end``
        # releases it) rather than end the worker, which outlives the database's outage.
        logger.warning("database unreachable; run handed back", extra={"error": str(error)})
        done.status, done.error = QUEUED, error
        return None
    if job is None:
        logger.info("run is not current; skipped", extra={"job": job_id, "run": done.run_id})
    return job


def _begin(rt: Runtime, job: Job, on_start: Callable[[Any], None] | None) -> None:
    """Announce the run's start: through the monitor (with its first lease renewal, or with
    the end if that comes first), or at once when no monitor watches."""

    def announce(pipe: Any) -> None:
        streams.publish_job(pipe, job)
        if on_start is not None:
            on_start(pipe)

    if rt.monitor is not None:
        rt.monitor.begin(job.id, job.run_id or "", job.timeout_seconds, announce)
    else:
        pipe = rt.redis.pipeline(transaction=False)
        announce(pipe)
        _send(rt, pipe)


def _run(rt: Runtime, context: JobContext, done: Attempt) -> Job | None:
    """Run the handler and record how it ended; return the row if it completed."""
    monitor = rt.monitor
    try:
        outcome = _body(context, done, monitor)
        done.result = outcome.result
        ended = _recorded(done, None, endings.completed, rt, context, outcome)
        done.status = COMPLETED if ended is not None else None
        return ended
    except JobStopped as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status = CANCELED if _recorded(done, False, endings.stopped, rt, context) else None
    except (WorkerShutdown, SystemExit, KeyboardInterrupt) as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status = QUEUED if _recorded(done, False, endings.hand_back, rt, context) else None
        raise
    except JobTimedOut as error:
        done.error = error
        _discard_connections(rt)
        _announce_start(monitor)
        done.status, done.retry_in = _recorded(done, (None, None), endings.failed, rt, context,
                                               str(error))  # fmt: skip
    except Exception as error:
        done.error = error
        _announce_start(monitor)
        done.status, done.retry_in = _recorded(done, (None, None), endings.failed, rt, context,
                                               _describe(error))  # fmt: skip
    return None


def _recorded(
    done: Attempt, fallback: T, record: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Record the run's end with ``record``; ``fallback`` if the database is unreachable.

    The row then still says ``running``: the run's lease goes with its end, so the sweep
    runs the job again (at least once, as after a crash), and the worker goes on rather
    than end with the error and leave its queues unserved through the outage."""
    try:
        return record(*args, **kwargs)
    except DATABASE_UNREACHABLE as error:
        logger.warning("database unreachable; the run's end is left to the sweep",
                       extra={"error": str(error)})  # fmt: skip
        done.error = error
        return fallback


def _body(context: JobContext, done: Attempt, monitor: Monitor | None) -> Outcome:
    """Run the job type's handler; charge the owner the run less the progress bookkeeping."""
    try:
        if monitor is not None:
            monitor.enter_body()
        context.enter_body()
        return handlers.for_type(context.type)(context)
    finally:
        context.leave_body()
        done.ran = max(0.0, context.run_seconds - context.bookkeeping)
        if monitor is not None:
            monitor.leave_body()


def _end(rt: Runtime, ended: Job | None, done: Attempt, on_end: EndHook | None) -> None:
    """Send the end's Redis writes in one round trip: the lease released, the completed
    row's event, the caller's own."""
    pipe = rt.redis.pipeline(transaction=False)
    if rt.monitor is not None:
        rt.monitor.end(pipe)
    if ended is not None:
        streams.publish_job(pipe, ended)
    if on_end is not None:
        on_end(pipe, done)
    done.replies = _send(rt, pipe)


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


def _send(rt: Runtime, pipe: Any) -> list[Any]:
    """Send one edge's Redis writes in one round trip, best effort (the SQL row already
    holds the truth); return the replies (none if Redis could not be reached)."""
    try:
        replies = execute_pipeline(rt.redis, pipe, raise_on_error=False)
    except redis.RedisError as error:
        logger.warning("could not reach Redis at a job edge", extra={"error": str(error)})
        return []
    for reply in replies:
        if isinstance(reply, Exception):
            logger.warning("a job edge's Redis command failed", extra={"error": str(reply)})
    return replies
