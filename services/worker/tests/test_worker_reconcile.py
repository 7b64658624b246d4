"""The reconciler repairs every gap between SQL and Redis (called directly here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis
from rq import Queue
from rq.job import Job as RQJob
from rq.job import JobStatus
from sqlalchemy.orm import Session, sessionmaker

from conveyor_shared.jobs import store
from conveyor_shared.jobs.keys import LEASE_KEY
from conveyor_shared.jobs.models import Job, utcnow
from conveyor_shared.jobs.reconcile import reconcile


def _sweep(sessions: sessionmaker[Session], connection: redis.Redis, later: float = 10) -> object:
    return reconcile(
        sessions, connection, grace=1, lease=2, now=utcnow() + timedelta(seconds=later)
    )


def _claim(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions() as session:
        assert store.claim(session, job.id, job.run_id or "", "gone.1.x", utcnow())
        session.commit()


def test_running_job_without_a_lease_is_queued_again(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    connection.delete(*connection.keys("rq:*"))  # the dead worker's run is gone too
    report = _sweep(sessions, connection)
    assert report.recovered == [job.id]  # type: ignore[attr-defined]
    again = row(job.id)
    assert (again.status, again.recoveries, again.attempts) == ("queued", 1, 0)
    assert again.run_id != job.run_id
    assert Queue("user.1.normal", connection=connection).job_ids == [again.run_id]


def test_running_job_with_a_live_lease_is_left_alone(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    connection.set(LEASE_KEY.format(job_id=job.id), job.run_id or "")
    assert _sweep(sessions, connection).total == 0  # type: ignore[attr-defined]
    assert row(job.id).status == "running"


def test_lost_job_that_was_being_canceled_ends_canceled(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    with sessions() as session:
        assert store.cancel(session, job.id) == "stopping"
        session.commit()
    _sweep(sessions, connection)
    assert row(job.id).status == "canceled"


def test_job_that_keeps_killing_workers_fails(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    for _ in range(store.MAX_RECOVERIES + 1):
        _claim(sessions, row(job.id))
        _sweep(sessions, connection)
    done = row(job.id)
    assert done.status == "failed"
    assert done.error is not None and "worker died" in done.error


def test_overdue_scheduled_job_is_released(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit(run_at=utcnow() + timedelta(seconds=2))
    connection.flushall()  # RQ's scheduled entry is lost
    report = _sweep(sessions, connection)
    assert report.released == [job.id]  # type: ignore[attr-defined]
    assert row(job.id).status == "queued"


def test_queued_job_whose_delivery_was_spent_gets_a_new_run(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    # A worker dequeued the run and died before claiming it: RQ says started, SQL says queued.
    Queue("user.1.normal", connection=connection).remove(job.run_id or "")
    RQJob.fetch(job.run_id or "", connection=connection).set_status(JobStatus.FAILED)
    report = _sweep(sessions, connection)
    assert report.enqueued == [job.id]  # type: ignore[attr-defined]
    again = row(job.id)
    assert again.status == "queued" and again.run_id != job.run_id
    assert Queue("user.1.normal", connection=connection).job_ids == [again.run_id]


def test_queued_job_still_waiting_in_rq_is_left_alone(
    submit: Callable[..., Job], sessions: sessionmaker[Session], connection: redis.Redis
) -> None:
    submit()
    assert _sweep(sessions, connection).total == 0  # type: ignore[attr-defined]
