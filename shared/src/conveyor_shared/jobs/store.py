"""Every change of a job's status, each one a conditional ``UPDATE`` (``DELETE`` to remove
a finished job) on the SQL row.

A transition names the state it expects (and, for a worker, the run id it was handed), so
when two processes race on one job exactly one ``UPDATE`` matches a row and the other
learns it lost (``False`` / ``None``). Callers own the transaction and commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Float, Table, and_, bindparam, delete, func, select, update
from sqlalchemy import insert as insert_statement
from sqlalchemy.orm import Session, scoped_session

from .models import Job, JobInput, UTCDateTime, new_id, utcnow
from .sqltime import seconds_since
from .status import (
    CANCELED,
    COMPLETED,
    FAILED,
    FINISHED,
    QUEUED,
    RETRYABLE,
    RUNNING,
    SCHEDULED,
    WAITING,
)

_table = cast(Table, Job.__table__)
_c = _table.c
_INSERT_JOB = insert_statement(_table)
_INSERT_INPUT = insert_statement(cast(Table, JobInput.__table__))

AnySession = Session | scoped_session[Any]
"""A plain session or Flask-SQLAlchemy's scoped one."""

MAX_RECOVERIES = 3
"""Times a job whose worker died is run again before it is failed."""

EMAIL_OWED = and_(_c.notify_email.is_(True), func.coalesce(_c.notify_to, "") != "")
"""The ``email_owed`` mark of a job that ends completed or failed: set in the same
``UPDATE`` as the status, it is the outbox of the owner's email (see :mod:`.outbox`)."""


@dataclass(frozen=True)
class NewJob:
    """What a caller asked for, already validated."""

    user_id: int
    type: str
    payload: dict[str, Any]
    priority: str = "normal"
    max_retries: int = 3
    timeout_seconds: int = 600
    run_at: datetime | None = None
    notify_email: bool = False
    notify_to: str | None = None
    owner_name: str | None = None
    request_id: str | None = None


def build(spec: NewJob, now: datetime) -> Job:
    """A new job row, not added to any session: queued with a run id, or scheduled when
    ``run_at`` is in the future (see :func:`insert`)."""
    job = Job(
        id=new_id(),
        user_id=spec.user_id,
        type=spec.type,
        payload=spec.payload,
        priority=spec.priority,
        max_retries=spec.max_retries,
        timeout_seconds=spec.timeout_seconds,
        notify_email=spec.notify_email,
        notify_to=spec.notify_to,
        email_owed=False,
        owner_name=spec.owner_name,
        request_id=spec.request_id,
        progress_percent=0.0,
        attempts=0,
        retry_floor=0,
        recoveries=0,
        wait_seconds=0.0,
        run_seconds=0.0,
        cancel_requested=False,
        created_at=now,
        updated_at=now,
    )
    if spec.run_at is not None and spec.run_at > now:
        job.status = SCHEDULED
        job.scheduled_for = spec.run_at
    else:
        job.status = QUEUED
        job.run_id = new_id()
        job.queued_at = now
    return job


def create(session: AnySession, spec: NewJob, now: datetime | None = None) -> Job:
    """Add a job row to ``session`` (see :func:`build`)."""
    job = build(spec, now or utcnow())
    session.add(job)
    return job


# A new row has no result: left out, it is SQL NULL (given as None, JSON would store 'null').
_NEW_ROW_COLUMNS = [column.key for column in _table.c if column.key != "result"]


def insert(connection: Connection, jobs: Sequence[Job], inputs: Sequence[JobInput] = ()) -> None:
    """Insert built rows (and their inputs) with one ``INSERT`` each, in ``connection``'s
    transaction (a session's: ``session.connection()``). The rows stay unattached: the ORM's
    unit of work would cost more per row than the statement, and nothing reads them back."""
    if jobs:
        rows = [{key: getattr(job, key) for key in _NEW_ROW_COLUMNS} for job in jobs]
        connection.execute(_INSERT_JOB, rows)
    if inputs:
        rows = [{"job_id": each.job_id, "data": each.data} for each in inputs]
        connection.execute(_INSERT_INPUT, rows)


def fetch(session: AnySession, job_id: str) -> Job | None:
    """Load a job as the database has it now (not a stale copy from the session)."""
    return session.get(Job, job_id, populate_existing=True)


def _apply(session: AnySession, job_id: str, conditions: list[Any], values: dict[str, Any]) -> bool:
    statement = (
        update(Job)
        .where(Job.id == job_id, *conditions)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def release(session: AnySession, job_id: str, now: datetime | None = None) -> Job | None:
    """Move a scheduled job to queued with a new run id; ``None`` if it is not scheduled."""
    now = now or utcnow()
    values = {"status": QUEUED, "run_id": new_id(), "queued_at": now, "worker_name": None}
    if not _apply(session, job_id, [Job.status == SCHEDULED], values):
        return None
    return fetch(session, job_id)


def _claim_statement(by_job_id: bool) -> Any:
    conditions = [_c.run_id == bindparam("p_run_id"), _c.status == QUEUED,
                  _c.cancel_requested.is_(False)]  # fmt: skip
    if by_job_id:
        conditions.append(_c.id == bindparam("p_job_id"))
    now = bindparam("p_now", type_=UTCDateTime())
    return (
        update(_table)
        .where(*conditions)
        .values(
            status=RUNNING,
            attempts=_c.attempts + 1,
            started_at=now,
            updated_at=now,
            worker_name=bindparam("p_worker"),
            wait_seconds=_c.wait_seconds + seconds_since(_c.queued_at, now),
            progress_percent=0.0,
            progress_message="started",
        )
        .returning(*_c)
    )


# Built once: a worker runs these for every job, and building a statement costs more than
# running it. Core statements (not ORM-enabled ones) skip the session's synchronisation.
_CLAIM_BY_RUN = _claim_statement(by_job_id=False)
_CLAIM_BY_JOB = _claim_statement(by_job_id=True)
_COMPLETE = (
    update(_table)
    .where(_c.id == bindparam("p_job_id"), _c.status == RUNNING, _c.run_id == bindparam("p_run_id"))
    .values(
        status=COMPLETED,
        result=bindparam("p_result", type_=_c.result.type),
        error=None,
        finished_at=bindparam("p_now", type_=UTCDateTime()),
        updated_at=bindparam("p_now", type_=UTCDateTime()),
        progress_percent=100.0,
        progress_message="done",
        run_seconds=_c.run_seconds + bindparam("p_elapsed", type_=Float()),
        cancel_requested=False,
        email_owed=EMAIL_OWED,
        artifact_name=bindparam("p_artifact_name"),
        artifact_type=bindparam("p_artifact_type"),
        artifact_size=bindparam("p_artifact_size"),
    )
    .returning(*_c)
)


def _row(session: AnySession, statement: Any, params: dict[str, Any]) -> Job | None:
    """Run a one-row ``UPDATE … RETURNING`` on the session's connection (the ORM's own
    execution costs more than the statement); the row as a new, unattached :class:`Job`."""
    row = session.connection().execute(statement, params).one_or_none()
    return None if row is None else Job(**row._mapping)


def claim(
    session: AnySession, job_id: str | None, run_id: str, worker: str, now: datetime
) -> Job | None:
    """Mark the run ``run_id`` of a queued job running and return the row as it is now;
    ``None`` if that run is not current. ``job_id`` may be ``None``: the run id says which.

    One ``UPDATE … RETURNING``: no read before it, so a claim costs one statement."""
    params = {"p_run_id": run_id, "p_now": now, "p_worker": worker}
    if job_id is None:
        return _row(session, _CLAIM_BY_RUN, params)
    return _row(session, _CLAIM_BY_JOB, {**params, "p_job_id": job_id})


def _running(run_id: str) -> list[Any]:
    return [Job.status == RUNNING, Job.run_id == run_id]


def report_progress(
    session: AnySession, job_id: str, run_id: str, percent: float, message: str | None
) -> bool:
    """Record progress; ``False`` if the run is no longer current or a cancel was asked."""
    values = {"progress_percent": max(0.0, min(100.0, percent)), "progress_message": message}
    conditions = [*_running(run_id), Job.cancel_requested.is_(False)]
    return _apply(session, job_id, conditions, values)


def complete(
    session: AnySession,
    job_id: str,
    run_id: str,
    *,
    result: dict[str, Any] | None,
    elapsed: float,
    now: datetime,
    artifact: tuple[str, str, int] | None = None,
) -> Job | None:
    """Mark the run completed with ``result`` and an optional ``(name, type, size)`` artifact;
    return the row as it is now (``None`` if the run was no longer current)."""
    name, media_type, size = artifact or (None, None, None)
    params = {"p_job_id": job_id, "p_run_id": run_id, "p_result": result, "p_now": now,
              "p_elapsed": elapsed, "p_artifact_name": name, "p_artifact_type": media_type,
              "p_artifact_size": size}  # fmt: skip
    return _row(session, _COMPLETE, params)


def retries_left(job: Job) -> bool:
    """Tell whether the attempt that just ended may be followed by an automatic retry."""
    return job.attempts - job.retry_floor <= job.max_retries


def fail(
    session: AnySession,
    job_id: str,
    run_id: str,
    *,
    error: str,
    elapsed: float,
    now: datetime,
    retry_in: float | None,
) -> str | None:
    """End a failed run: ``scheduled`` for a retry in ``retry_in`` seconds, else ``failed``.

    Returns the new status, or ``None`` if the run was no longer current.
    """
    values: dict[str, Any] = {"error": error, "run_seconds": Job.run_seconds + elapsed}
    if retry_in is not None:
        values.update(
            status=SCHEDULED,
            scheduled_for=now + timedelta(seconds=retry_in),
            run_id=None,
            worker_name=None,
            progress_message=f"retrying in {retry_in:.1f}s",
        )
    else:
        values.update(status=FAILED, finished_at=now, cancel_requested=False, email_owed=EMAIL_OWED)
    if not _apply(session, job_id, _running(run_id), values):
        return None
    return str(values["status"])


def stopped(
    session: AnySession, job_id: str, run_id: str, *, elapsed: float, now: datetime
) -> bool:
    """Mark a run that was stopped on request canceled (never retried)."""
    values = {
        "status": CANCELED,
        "finished_at": now,
        "error": None,
        "progress_message": "canceled",
        "run_seconds": Job.run_seconds + elapsed,
        "cancel_requested": False,
    }
    return _apply(session, job_id, _running(run_id), values)


def hand_back(
    session: AnySession, job_id: str, run_id: str, *, elapsed: float, now: datetime
) -> Job | None:
    """Put a run interrupted by a worker shutdown back in the queue, without charging it."""
    values = {
        "status": QUEUED,
        "run_id": new_id(),
        "queued_at": now,
        "worker_name": None,
        "attempts": Job.attempts - 1,
        "run_seconds": Job.run_seconds + elapsed,
        "progress_message": "requeued: worker shutting down",
    }
    conditions = [*_running(run_id), Job.cancel_requested.is_(False)]
    if not _apply(session, job_id, conditions, values):
        return None
    return fetch(session, job_id)


def recover(session: AnySession, job: Job, now: datetime) -> Job | None:
    """Deal with a running job whose worker died: run it again, or end it.

    A pending cancel ends it canceled; after :data:`MAX_RECOVERIES` deaths it fails (a job
    that kills its worker every time must not loop for ever). The lost attempt is not
    charged against ``max_retries``.
    """
    if job.run_id is None:
        return None
    values: dict[str, Any]
    if job.cancel_requested:
        values = {"status": CANCELED, "finished_at": now, "cancel_requested": False}
    elif job.recoveries >= MAX_RECOVERIES:
        values = {
            "status": FAILED,
            "finished_at": now,
            "error": f"worker died while running the job ({job.recoveries + 1} times)",
            "email_owed": EMAIL_OWED,
        }
    else:
        values = {
            "status": QUEUED,
            "run_id": new_id(),
            "queued_at": now,
            "worker_name": None,
            "attempts": Job.attempts - 1,
            "recoveries": Job.recoveries + 1,
            "progress_message": "requeued: worker lost",
        }
    if not _apply(session, job.id, _running(job.run_id), values):
        return None
    return fetch(session, job.id)


def cancel(session: AnySession, job_id: str, now: datetime | None = None) -> str:
    """Cancel a job: ``"canceled"`` if it was waiting, ``"stopping"`` if it is running (the
    worker must stop it), ``"finished"`` if it had already ended."""
    now = now or utcnow()
    for _ in range(3):  # the status may move under us; each pass re-reads it
        job = fetch(session, job_id)
        if job is None or job.status in FINISHED:
            return "finished"
        if job.status in WAITING:
            values = {
                "status": CANCELED,
                "finished_at": now,
                "progress_message": "canceled",
                "cancel_requested": False,
            }
            if _apply(session, job_id, [Job.status.in_(WAITING)], values):
                return "canceled"
        elif _apply(session, job_id, [Job.status == RUNNING], {"cancel_requested": True}):
            return "stopping"
    return "finished"


def retry(session: AnySession, job_id: str, now: datetime | None = None) -> Job | None:
    """Queue a failed or canceled job again with a fresh retry budget; ``None`` otherwise."""
    now = now or utcnow()
    values = {
        "status": QUEUED,
        "run_id": new_id(),
        "queued_at": now,
        "retry_floor": Job.attempts,
        "recoveries": 0,
        "email_owed": False,  # an email still owed for the last ending is given up
        "error": None,
        "result": None,
        "started_at": None,
        "finished_at": None,
        "worker_name": None,
        "cancel_requested": False,
        "progress_percent": 0.0,
        "progress_message": None,
        "artifact_name": None,
        "artifact_type": None,
        "artifact_size": None,
    }
    if not _apply(session, job_id, [Job.status.in_(RETRYABLE)], values):
        return None
    return fetch(session, job_id)


def remove(session: AnySession, job_id: str) -> bool:
    """Delete a finished job, its stored input with it (``ON DELETE CASCADE``); ``False`` if
    it is gone or no longer finished (a retry may have queued it since it was read)."""
    statement = (
        delete(Job)
        .where(Job.id == job_id, Job.status.in_(FINISHED))
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def cancel_all(session: AnySession, user_id: int, now: datetime | None = None) -> list[Job]:
    """Cancel every unfinished job of ``user_id``: waiting ones at once, running ones by
    request (their worker stops them). Returns the jobs that changed."""
    now = now or utcnow()
    waiting = update(Job).where(Job.user_id == user_id, Job.status.in_(WAITING))
    session.execute(
        waiting.values(status=CANCELED, finished_at=now, progress_message="canceled",
                       cancel_requested=False, updated_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    running = update(Job).where(Job.user_id == user_id, Job.status == RUNNING)
    session.execute(
        running.values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    changed = select(Job).where(Job.user_id == user_id, Job.updated_at == now)
    return list(session.scalars(changed.execution_options(populate_existing=True)).all())
