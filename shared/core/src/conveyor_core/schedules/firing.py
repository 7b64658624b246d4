"""Firing schedules: each due tick becomes one ordinary job, exactly once.

Any number of processes may run :func:`fire_due` at once (every worker does, see the
worker's ``firing`` thread); SQL alone decides which of them fires a tick:

1. The claim is a conditional ``UPDATE``: it moves ``next_run_at`` from the tick it read to
   the next one, only if the row still says that tick and is enabled. Of two processes that
   read the same tick, one matches the row and the other matches nothing (PostgreSQL's row
   lock makes the second re-check the row once the first commits; SQLite runs one write
   transaction at a time).
2. In the same transaction the tick's job is inserted with ``ON CONFLICT DO NOTHING`` on
   the unique ``(schedule_id, tick)``: even a claim gone wrong (a clock set back, a hand-made
   edit) cannot give one tick two jobs.
3. Only after the commit do the jobs go to Redis (:func:`~conveyor_core.jobs.handoff.
   hand_off`, the path every submission takes); a crash or a Redis flush in between leaves
   committed rows that the reconciler enqueues.

Ticks older than the misfire grace (nothing ran to fire them) are skipped and counted as
misses; a schedule with ``catch_up`` gets one run for them, carrying the latest missed tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import redis
from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from conveyor_core.jobs import handoff, store
from conveyor_core.jobs.models import Job, JobInput, utcnow
from conveyor_core.jobs.settings import default_timeout
from conveyor_core.jobs.store import AnySession
from conveyor_core.schedules.cadence import Cadence
from conveyor_core.schedules.models import Schedule, ScheduleInput

logger = logging.getLogger(__name__)

BATCH = 100
"""Most schedules one pass fires (the most overdue first); the next pass takes the rest."""

_jobs = cast(Table, Job.__table__)
_NEW_ROW_COLUMNS = [column.key for column in _jobs.c if column.key != "result"]


@dataclass
class Fired:
    """What one pass did."""

    jobs: list[Job] = field(default_factory=list)
    missed: int = 0


def cadence_of(schedule: Schedule) -> Cadence:
    """The schedule's cadence."""
    return Cadence(schedule.cron, schedule.timezone or "UTC", schedule.interval_seconds)


def build_job(schedule: Schedule, tick: datetime | None, now: datetime) -> Job:
    """A queued job row for ``schedule`` (``tick`` None: a run asked for by hand)."""
    payload = dict(schedule.payload)
    job = store.build(
        store.NewJob(
            user_id=schedule.user_id,
            type=schedule.type,
            payload=payload,
            priority=schedule.priority,
            max_retries=schedule.max_retries,
            timeout_seconds=schedule.timeout_seconds or default_timeout(schedule.type, payload),
            notify_email=schedule.notify_email,
            notify_to=schedule.notify_to if schedule.notify_email else None,
            owner_name=schedule.owner_name,
            request_id=f"schedule:{schedule.id}",
        ),
        now,
    )
    job.schedule_id = schedule.id
    job.tick = tick
    return job


def job_input(session: AnySession, schedule: Schedule, job: Job) -> JobInput | None:
    """The copy of the schedule's binary input that ``job`` gets, if it has one."""
    stored = session.get(ScheduleInput, schedule.id)
    return None if stored is None else JobInput(job_id=job.id, data=stored.data)


def _insert_once(connection: Connection, job: Job) -> bool:
    """Insert ``job`` unless its ``(schedule_id, tick)`` has one; tell whether it did."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_jobs)
        .on_conflict_do_nothing(index_elements=["schedule_id", "tick"])
        .returning(_jobs.c.id)
    )
    row = {key: getattr(job, key) for key in _NEW_ROW_COLUMNS}
    return connection.execute(statement, row).first() is not None


def _fire_one(session: AnySession, schedule: Schedule, now: datetime, grace: float) -> Fired:
    """Claim the schedule's due ticks and insert their jobs, in the caller's transaction."""
    first = schedule.next_run_at
    assert first is not None
    due = cadence_of(schedule).due(first, now, grace)
    ticks = list(due.on_time)
    if schedule.catch_up and due.last_missed is not None:
        ticks.insert(0, due.last_missed)
    claim = (
        update(Schedule)
        .where(
            Schedule.id == schedule.id,
            Schedule.enabled.is_(True),
            Schedule.next_run_at == first,
        )
        .values(
            next_run_at=due.next,
            last_run_at=now if ticks else Schedule.last_run_at,
            fires=Schedule.fires + len(ticks),
            misses=Schedule.misses + due.missed,
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
        return Fired()  # another process fired it, or it changed meanwhile
    fired = Fired(missed=due.missed)
    connection = session.connection()
    for tick in ticks:
        job = build_job(schedule, tick, now)
        if _insert_once(connection, job):
            fired.jobs.append(job)
            extra = job_input(session, schedule, job)
            if extra is not None:
                store.insert(connection, [], [extra])
    return fired


def fire_due(
    session_factory: Callable[[], AnySession],
    connection: redis.Redis,
    *,
    grace: float,
    now: datetime | None = None,
) -> Fired:
    """Fire every enabled schedule whose next tick has come; return what was fired."""
    now = now or utcnow()
    total = Fired()
    tiers: list[tuple[int, str]] = []
    session = session_factory()
    try:
        due = session.scalars(
            select(Schedule)
            .where(Schedule.enabled.is_(True), Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at)
            .limit(BATCH)
        ).all()
        session.commit()  # SQLite: no write lock held while the schedules are looked at
        for schedule in due:
            fired = _fire_one(session, schedule, now, grace)
            session.commit()
            total.jobs.extend(fired.jobs)
            total.missed += fired.missed
            if fired.jobs and schedule.owner_tier:
                tiers.append((schedule.user_id, schedule.owner_tier))
            _log(schedule, fired)
    finally:
        session.close()
    if total.jobs:
        handoff.hand_off(connection, total.jobs, tiers)
    return total


def _log(schedule: Schedule, fired: Fired) -> None:
    if not (fired.jobs or fired.missed):
        return
    extra: dict[str, Any] = {
        "schedule": schedule.id,
        "user": schedule.user_id,
        "jobs": [job.id for job in fired.jobs],
        "missed": fired.missed,
    }
    logger.info("schedule fired", extra=extra)
