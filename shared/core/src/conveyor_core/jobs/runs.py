"""A run's way through the SQL row: the claim, progress, its end (completed, failed or
retried, stopped, handed back) and the recovery of a run whose worker died.

Like :mod:`.store`, every change is a conditional ``UPDATE`` naming the state and the run id
it expects, so when two processes race on one job exactly one matches a row and the other
learns it lost (``False`` / ``None``). Callers own the transaction and commit. The claim and
the completion run for every job: they are Core statements built once (see below).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Float, Table, and_, bindparam, func, update

from conveyor_core.jobs.models import Job, UTCDateTime, job_of, new_id
from conveyor_core.jobs.sqltime import seconds_since
from conveyor_core.jobs.status import CANCELED, COMPLETED, FAILED, QUEUED, RUNNING, SCHEDULED
from conveyor_core.jobs.store import AnySession, fetch, update_where

_table = cast(Table, Job.__table__)
_c = _table.c

MAX_RECOVERIES = 3
"""Times a job whose worker died is run again before it is failed."""

EMAIL_OWED = and_(_c.notify_email.is_(True), func.coalesce(_c.notify_to, "") != "")
"""The ``email_owed`` mark of a job that ends completed or failed: set in the same
``UPDATE`` as the status, it is the outbox of the owner's email (see :mod:`.outbox`)."""


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
    execution costs more than the statement); the row as a new, unattached :class:`Job`
    (:func:`~conveyor_core.jobs.models.job_of`). Nothing adds it to a session: it is read
    only."""
    row = session.connection().execute(statement, params).one_or_none()
    return None if row is None else job_of(row._mapping)


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
    return update_where(session, job_id, conditions, values)


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
    if not update_where(session, job_id, _running(run_id), values):
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
    return update_where(session, job_id, _running(run_id), values)


def _back_in_line(now: datetime, why: str) -> dict[str, Any]:
    """The values that queue a run again under a new run id, its attempt not counted."""
    return {"status": QUEUED, "run_id": new_id(), "queued_at": now, "worker_name": None,
            "attempts": Job.attempts - 1, "progress_message": f"requeued: {why}"}  # fmt: skip


def hand_back(
    session: AnySession, job_id: str, run_id: str, *, elapsed: float, now: datetime
) -> Job | None:
    """Put a run interrupted by a worker shutdown back in the queue, without charging it."""
    values = {**_back_in_line(now, "worker shutting down"),
              "run_seconds": Job.run_seconds + elapsed}  # fmt: skip
    conditions = [*_running(run_id), Job.cancel_requested.is_(False)]
    if not update_where(session, job_id, conditions, values):
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
        values = {**_back_in_line(now, "worker lost"), "recoveries": Job.recoveries + 1}
    if not update_where(session, job.id, _running(job.run_id), values):
        return None
    return fetch(session, job.id)
