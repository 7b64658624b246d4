"""New rows in bulk (``store.insert``, :mod:`conveyor_core.jobs.bulk`): ``COPY`` on
PostgreSQL for a large group, an ``INSERT`` otherwise; either way the rows read back as
built, and a failed write raises SQLAlchemy's error and stores none of them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs import bulk, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.status import SCHEDULED

COLUMNS = ("id", "user_id", "type", "payload", "status", "priority", "max_retries",
           "timeout_seconds", "notify_email", "owner_name", "run_id", "created_at",
           "queued_at", "scheduled_for", "result", "error", "tick")  # fmt: skip


def _spec(number: int, run_at: datetime | None) -> store.NewJob:
    return store.NewJob(
        user_id=number % 7 + 1,
        type="timed",
        payload={"duration_seconds": number, "note": "naïve ✓"},
        priority="high" if number % 2 else "normal",
        max_retries=3,
        timeout_seconds=60,
        notify_email=bool(number % 3),
        notify_to=None,
        owner_name=f"user {number}",
        request_id=None,
        run_at=run_at,
    )


def _built(count: int, *, later: bool = False) -> list[Job]:
    now = utcnow()
    run_at = now + timedelta(days=365) if later else None
    return [store.build(_spec(number, run_at), now) for number in range(count)]


def _insert(engine: Engine, jobs: list[Job]) -> None:
    with engine.begin() as connection:
        store.insert(connection, jobs)


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Job)) or 0


@pytest.mark.parametrize("count", [1, bulk.COPY_FROM_ROWS - 1, bulk.COPY_FROM_ROWS, 1000])
def test_inserted_rows_read_back_as_built(
    engine: Engine, sessions: sessionmaker[Session], count: int
) -> None:
    jobs = _built(count)
    expected = {job.id: tuple(job.__dict__.get(column) for column in COLUMNS) for job in jobs}
    _insert(engine, jobs)
    with sessions() as session:
        stored = {job.id: tuple(getattr(job, column) for column in COLUMNS)
                  for job in session.scalars(select(Job))}  # fmt: skip
    assert stored == expected


def test_a_scheduled_row_keeps_its_time_and_no_run(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    jobs = _built(bulk.COPY_FROM_ROWS, later=True)
    _insert(engine, jobs)
    with sessions() as session:
        rows = session.execute(select(Job.status, Job.run_id, Job.scheduled_for)).all()
    assert {(status, run_id) for status, run_id, _ in rows} == {(SCHEDULED, None)}
    assert {scheduled for _, _, scheduled in rows} == {jobs[0].scheduled_for}


def test_a_new_row_has_no_result(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _insert(engine, _built(bulk.COPY_FROM_ROWS))
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Job.result.is_(None))) == (
            bulk.COPY_FROM_ROWS
        )


@pytest.mark.parametrize("count", [1, 1000])
def test_a_failed_write_raises_sqlalchemys_error_and_stores_nothing(
    engine: Engine, sessions: sessionmaker[Session], count: int
) -> None:
    jobs = _built(count)
    _insert(engine, jobs[:1])
    with pytest.raises(IntegrityError):
        _insert(engine, jobs)  # the first row's id is taken
    assert _count(sessions) == 1


def test_the_connection_serves_again_after_a_failed_write(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    jobs = _built(1000)
    _insert(engine, jobs[:1])
    with pytest.raises(IntegrityError):
        _insert(engine, jobs)
    _insert(engine, jobs[1:])
    assert _count(sessions) == 1000
