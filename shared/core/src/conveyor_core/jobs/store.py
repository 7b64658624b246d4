"""A job's row: its creation, and the changes its owner (or the scheduler) asks for, each
one a conditional ``UPDATE`` (``DELETE`` to remove a finished job). A run's own way through
the row (claim, progress, its end, recovery) is in :mod:`.runs`.

A transition names the state it expects (and, for a worker, the run id it was handed), so
when two processes race on one job exactly one ``UPDATE`` matches a row and the other
learns it lost (``False`` / ``None``). Callers own the transaction and commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, select, update
from sqlalchemy import insert as insert_statement
from sqlalchemy.orm import Session, scoped_session

from conveyor_core.jobs import bulk
from conveyor_core.jobs.models import Job, JobInput, job_of, new_id, utcnow
from conveyor_core.jobs.status import (
    CANCELED,
    FINISHED,
    QUEUED,
    RETRYABLE,
    RUNNING,
    SCHEDULED,
    WAITING,
)

_table = cast(Table, Job.__table__)
_c = _table.c
_INSERT_INPUT = insert_statement(cast(Table, JobInput.__table__))

AnySession = Session | scoped_session[Any]
"""A plain session or Flask-SQLAlchemy's scoped one."""


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


_UNSET_AT_START = (
    "progress_message", "error", "worker_name", "started_at", "finished_at",
    "artifact_name", "artifact_type", "artifact_size", "schedule_id", "tick",
)  # fmt: skip
"""Columns a new row holds as NULL."""


def build(spec: NewJob, now: datetime) -> Job:
    """A new job row, not added to any session: queued with a run id, or scheduled when
    ``run_at`` is in the future (see :func:`insert`)."""
    later = spec.run_at is not None and spec.run_at > now
    return job_of(
        {
            "id": new_id(),
            "user_id": spec.user_id,
            "type": spec.type,
            "payload": spec.payload,
            "priority": spec.priority,
            "max_retries": spec.max_retries,
            "timeout_seconds": spec.timeout_seconds,
            "notify_email": spec.notify_email,
            "notify_to": spec.notify_to,
            "email_owed": False,
            "owner_name": spec.owner_name,
            "request_id": spec.request_id,
            "progress_percent": 0.0,
            "attempts": 0,
            "retry_floor": 0,
            "recoveries": 0,
            "wait_seconds": 0.0,
            "run_seconds": 0.0,
            "cancel_requested": False,
            "created_at": now,
            "updated_at": now,
            "status": SCHEDULED if later else QUEUED,
            "scheduled_for": spec.run_at if later else None,
            "run_id": None if later else new_id(),
            "queued_at": None if later else now,
            # Set, not left to the ORM's defaults: a missing value costs a loader call on
            # every read (the answer renders each row). ``result`` stays unset: see insert.
            **dict.fromkeys(_UNSET_AT_START),
        }
    )


def create(session: AnySession, spec: NewJob, now: datetime | None = None) -> Job:
    """Add a job row to ``session`` (see :func:`build`)."""
    job = build(spec, now or utcnow())
    session.add(job)
    return job


# A new row has no result: left out, it is SQL NULL (given as None, JSON would store 'null').
_NEW_ROW_COLUMNS = [column.key for column in _table.c if column.key != "result"]


def insert(connection: Connection, jobs: Sequence[Job], inputs: Sequence[JobInput] = ()) -> None:
    """Insert built rows (and their inputs) in bulk (:mod:`.bulk`), in ``connection``'s
    transaction (a session's: ``session.connection()``). The rows stay unattached: the ORM's
    unit of work would cost more per row than the statement, and nothing reads them back."""
    # Read from __dict__: the attribute machinery costs more than the row's own insert.
    rows = [{key: job.__dict__.get(key) for key in _NEW_ROW_COLUMNS} for job in jobs]
    bulk.write(connection, _table, _NEW_ROW_COLUMNS, rows)
    if inputs:
        values = [{"job_id": each.job_id, "data": each.data} for each in inputs]
        connection.execute(_INSERT_INPUT, values)


def fetch(session: AnySession, job_id: str) -> Job | None:
    """Load a job as the database has it now (not a stale copy from the session)."""
    return session.get(Job, job_id, populate_existing=True)


def count_by_status(session: AnySession, *criteria: Any) -> dict[str, int]:
    """Count the jobs matching ``criteria`` (all jobs without any), per status; a status with
    none is absent."""
    query = select(Job.status, func.count()).where(*criteria).group_by(Job.status)
    return {status: int(total) for status, total in session.execute(query)}


def update_where(
    session: AnySession, job_id: str, conditions: list[Any], values: dict[str, Any]
) -> bool:
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
    if not update_where(session, job_id, [Job.status == SCHEDULED], values):
        return None
    return fetch(session, job_id)


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
            if update_where(session, job_id, [Job.status.in_(WAITING)], values):
                return "canceled"
        elif update_where(session, job_id, [Job.status == RUNNING], {"cancel_requested": True}):
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
    if not update_where(session, job_id, [Job.status.in_(RETRYABLE)], values):
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
