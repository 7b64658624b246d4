"""The reconciler: make Redis carry every job that SQL says is waiting or running.

Design (the "outbox" is the jobs table itself). job-api commits the job row *before* it
touches Redis, and answers only after the commit. If the process dies between the commit
and the enqueue, the row is ``queued`` (or ``scheduled``) with nothing in Redis. A sweep
that one worker at a time runs every few seconds repairs every such gap:

1. ``scheduled`` rows overdue by more than the grace: released to their queue (RQ's
   scheduler normally does this; the sweep covers a lost scheduler entry or a flushed Redis).
2. ``queued`` rows older than the grace whose run is not waiting in RQ (no RQ job, or an RQ
   job that was dequeued and then lost): enqueued again, with a fresh run id if the old
   delivery was spent, so a stale delivery can never run beside the new one.
3. ``running`` rows whose worker stopped renewing the lease (SIGKILL, power loss): run
   again (or canceled/failed, see :func:`runs.recover`).
4. deleted users (user-service adds them to ``DELETED_USERS_KEY``): their schedules deleted
   and every unfinished job canceled (a job a schedule fired meanwhile too), running ones
   stopped through their cancel key.
5. finished jobs still marked ``email_owed`` (see :mod:`.outbox`): the owner's email
   enqueued and the mark cleared, at once for the jobs step 3 failed, after the grace for
   the others (the worker that ended them sends the email itself unless Redis was down).

Every repair is a conditional ``UPDATE``, so a sweep racing with a worker or job-api (or
with another sweep) does no harm: a duplicate delivery finds the row already claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy import and_, delete, or_, select, update

from conveyor_core import rq_adapter
from conveyor_core.fair import CLAIMED_KEY
from conveyor_core.jobs import dispatch, events, journal, outbox, runs, store
from conveyor_core.jobs.keys import (
    CANCEL_KEY,
    CANCEL_KEY_TTL,
    DELETED_USERS_KEY,
    LEASE_KEY,
    QUEUED_CURSOR_KEY,
)
from conveyor_core.jobs.models import Job, new_id, utcnow
from conveyor_core.jobs.status import QUEUED, RUNNING, SCHEDULED
from conveyor_core.jobs.store import AnySession
from conveyor_core.redis_connection import text
from conveyor_core.schedules.models import Schedule

logger = logging.getLogger(__name__)

BATCH = 500
"""Most rows of each kind one sweep looks at (the oldest first)."""

CURSOR_TTL = 3600
"""Seconds a cursor outlives its sweep (a stale one only shifts where a scan starts)."""


@dataclass
class Report:
    """What one sweep repaired."""

    released: list[str] = field(default_factory=list)
    enqueued: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    """Jobs whose owed email was enqueued."""

    @property
    def total(self) -> int:
        return (len(self.released) + len(self.enqueued) + len(self.recovered)
                + len(self.canceled) + len(self.notified))  # fmt: skip


def _release_overdue(session: AnySession, now: datetime, grace: float, report: Report) -> list[Job]:
    cutoff = now - timedelta(seconds=grace)
    due = session.scalars(
        select(Job.id)
        .where(Job.status == SCHEDULED, Job.scheduled_for <= cutoff)
        .order_by(Job.scheduled_for)
        .limit(BATCH)
    ).all()
    released = []
    for job_id in due:
        job = store.release(session, job_id, now)
        if job is not None:
            released.append(job)
            report.released.append(job.id)
    return released


def _spent(
    status: str | None, started: datetime | None, picked_at: float | None, now: datetime,
    lease: float,
) -> bool:  # fmt: skip
    """Tell whether an RQ job's state means it will never reach ``claim``."""
    if picked_at is not None and now.timestamp() - picked_at > lease:
        return True  # the dispatcher handed it to a worker that died before starting it
    if status in rq_adapter.WAITING_STATUSES:
        return False
    if status == rq_adapter.STARTED and started is not None:
        return (now - started).total_seconds() > lease
    return True


def _cursor(connection: redis.Redis) -> tuple[datetime, str] | None:
    value = text(connection.get(QUEUED_CURSOR_KEY))
    if not value or "|" not in value:
        return None
    queued_at, job_id = value.split("|", 1)
    return datetime.fromisoformat(queued_at), job_id


def _requeue_missing(
    session: AnySession, connection: redis.Redis, now: datetime, grace: float, lease: float,
    report: Report,
) -> list[Job]:  # fmt: skip
    cutoff = now - timedelta(seconds=grace)
    query = select(Job).where(Job.status == QUEUED, Job.queued_at <= cutoff)
    after = _cursor(connection)
    if after is not None:
        query = query.where(or_(Job.queued_at > after[0],
                                and_(Job.queued_at == after[0], Job.id > after[1])))  # fmt: skip
    rows = session.scalars(query.order_by(Job.queued_at, Job.id).limit(BATCH)).all()
    if len(rows) == BATCH and rows[-1].queued_at is not None:
        last = f"{rows[-1].queued_at.isoformat()}|{rows[-1].id}"
        connection.set(QUEUED_CURSOR_KEY, last, ex=CURSOR_TTL)
    else:
        connection.delete(QUEUED_CURSOR_KEY)  # seen the newest: the next sweep starts over
    with connection.pipeline(transaction=False) as pipe:
        for job in rows:
            rq_adapter.queue_run_state(pipe, str(job.run_id))
            pipe.zscore(CLAIMED_KEY, str(job.run_id))
        replies = pipe.execute() if rows else []
    missing = []
    for job, state, picked_at in zip(rows, replies[::2], replies[1::2], strict=True):
        status, started = rq_adapter.run_state(state)
        if status is None:
            missing.append(job)  # never reached Redis (or Redis lost it): same run id
        elif _spent(status, started, picked_at, now, lease):
            fresh = new_id()
            renewed = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == QUEUED, Job.run_id == job.run_id)
                .values(run_id=fresh, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount == 1:  # type: ignore[attr-defined]
                job.run_id = fresh
                missing.append(job)
    report.enqueued.extend(job.id for job in missing)
    return missing


def _restarted_within(connection: redis.Redis, now: datetime, lease: float) -> bool:
    """Tell whether Redis started less than a lease period before ``now``.

    A restart without persistence wipes every lease at once, live workers' included; they
    write theirs again within a quarter of a lease period. Until a whole period has passed
    since the start, a missing lease does not mean a dead worker. Redis's uptime is a
    duration, so no clock is compared across machines; it is whole seconds, so the start is
    at worst placed up to a second late (recovery waits that much longer).
    """
    uptime = int(connection.info("server")["uptime_in_seconds"])
    started = utcnow() - timedelta(seconds=uptime)
    if started <= now - timedelta(seconds=lease):
        return False
    logger.info(
        "Redis restarted recently: lost leases are not trusted yet", extra={"uptime": uptime}
    )
    return True


def _recover_lost(
    session: AnySession, connection: redis.Redis, now: datetime, lease: float, report: Report
) -> list[Job]:
    cutoff = now - timedelta(seconds=lease)
    rows = session.scalars(
        select(Job).where(Job.status == RUNNING, Job.started_at <= cutoff).limit(BATCH)
    ).all()
    if not rows:
        return []
    holders = connection.mget([LEASE_KEY.format(job_id=job.id) for job in rows])
    unleased = [
        job for job, holder in zip(rows, holders, strict=True) if text(holder) != job.run_id
    ]
    if not unleased or _restarted_within(connection, now, lease):
        return []
    recovered = []
    for job in unleased:
        lost_worker = job.worker_name  # the recovered row (the same object) names none
        changed = runs.recover(session, job, now)
        if changed is not None:
            journal.record("job.recovered", changed, level=logging.WARNING,
                           lost_worker=lost_worker)  # fmt: skip
            recovered.append(changed)
            report.recovered.append(changed.id)
    return recovered


def _cancel_deleted(session: AnySession, connection: redis.Redis, report: Report) -> list[Job]:
    """Delete the schedules and cancel the unfinished jobs of users deleted since the last
    sweep. The schedules go first, in the same transaction: no tick fires after it."""
    changed: list[Job] = []
    for member in connection.smembers(DELETED_USERS_KEY):  # type: ignore[union-attr]
        user_id = int(text(member) or 0)
        session.execute(delete(Schedule).where(Schedule.user_id == user_id))
        jobs = store.cancel_all(session, user_id)
        session.commit()
        for job in jobs:
            if job.status == RUNNING and job.run_id:
                connection.set(CANCEL_KEY.format(run_id=job.run_id), 1, ex=CANCEL_KEY_TTL)
            else:
                changed.append(job)
            report.canceled.append(job.id)
        connection.srem(DELETED_USERS_KEY, member)
    return changed


def reconcile(
    session_factory: Callable[[], AnySession],
    connection: redis.Redis,
    *,
    grace: float,
    lease: float,
    now: datetime | None = None,
    public_url: str | None = None,
) -> Report:
    """Run one sweep; return what it repaired. ``public_url`` is where emails link to."""
    now = now or utcnow()
    report = Report()
    session = session_factory()
    try:
        released = _release_overdue(session, now, grace, report)
        session.commit()
        missing = _requeue_missing(session, connection, now, grace, lease, report)
        session.commit()
        lost = _recover_lost(session, connection, now, lease, report)
        session.commit()
        canceled = _cancel_deleted(session, connection, report)
        runnable = [job for job in (*released, *missing, *lost) if job.status == QUEUED]
        dispatch.enqueue(connection, [dispatch.Run.of(job) for job in runnable])
        for job in (*released, *lost, *canceled):
            events.publish(connection, job)
        report.notified = outbox.send_owed(
            session, connection, ended_before=now - timedelta(seconds=grace), limit=BATCH,
            also=lost, public_url=public_url,
        )  # fmt: skip
    finally:
        session.close()
    if report.total:
        logger.info(
            "reconciled jobs",
            extra={
                "released": len(report.released),
                "enqueued": len(report.enqueued),
                "recovered": len(report.recovered),
                "canceled": len(report.canceled),
                "notified": len(report.notified),
            },
        )
    return report
