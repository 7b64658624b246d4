"""The reconciler repairs every gap between SQL and Redis (called directly here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis
from rq import Queue
from rq.job import Job as RQJob
from rq.job import JobStatus
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs import dispatch, outbox, runs, store
from conveyor_core.jobs.keys import LEASE_KEY
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.reconcile import BATCH, Report


def _claim(sessions: sessionmaker[Session], job: Job) -> None:
    with sessions() as session:
        assert runs.claim(session, job.id, job.run_id or "", "gone.1.x", utcnow())
        session.commit()


def test_running_job_without_a_lease_is_queued_again(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    connection.delete(*connection.keys("rq:*"))  # the dead worker's run is gone too
    report = sweep()
    assert report.recovered == [job.id]
    again = row(job.id)
    assert (again.status, again.recoveries, again.attempts) == ("queued", 1, 0)
    assert again.run_id != job.run_id
    assert Queue("user.1.normal", connection=connection).job_ids == [again.run_id]


def test_running_job_with_a_live_lease_is_left_alone(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    connection.set(LEASE_KEY.format(job_id=job.id), job.run_id or "")
    assert sweep().total == 0
    assert row(job.id).status == "running"


def test_lost_job_that_was_being_canceled_ends_canceled(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit()
    _claim(sessions, job)
    with sessions() as session:
        assert store.cancel(session, job.id) == "stopping"
        session.commit()
    sweep()
    assert row(job.id).status == "canceled"


def test_job_that_keeps_killing_workers_fails(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit()
    for _ in range(runs.MAX_RECOVERIES + 1):
        _claim(sessions, row(job.id))
        sweep()
    done = row(job.id)
    assert done.status == "failed"
    assert done.error is not None and "worker died" in done.error


def test_job_failed_by_worker_deaths_emails_its_owner(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    emails: Callable[[], list[str]], sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit(notify_email=True, notify_to="owner@example.test", owner_name="owner")
    for _ in range(runs.MAX_RECOVERIES + 1):  # each run's worker dies (SIGKILL, OOM...)
        _claim(sessions, row(job.id))
        sweep()
    done = row(job.id)
    assert (done.status, done.email_owed) == ("failed", False)
    assert emails() == [outbox.key(done)]


def test_overdue_scheduled_job_is_released(
    submit: Callable[..., Job], row: Callable[[str], Job],
    connection: redis.Redis, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit(run_at=utcnow() + timedelta(seconds=2))
    connection.flushall()  # RQ's scheduled entry is lost
    report = sweep()
    assert report.released == [job.id]
    assert row(job.id).status == "queued"


def test_queued_job_whose_delivery_was_spent_gets_a_new_run(
    submit: Callable[..., Job], row: Callable[[str], Job],
    connection: redis.Redis, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit()
    # A worker dequeued the run and died before claiming it: RQ says started, SQL says queued.
    Queue("user.1.normal", connection=connection).remove(job.run_id or "")
    RQJob.fetch(job.run_id or "", connection=connection).set_status(JobStatus.FAILED)
    report = sweep()
    assert report.enqueued == [job.id]
    again = row(job.id)
    assert again.status == "queued" and again.run_id != job.run_id
    assert Queue("user.1.normal", connection=connection).job_ids == [again.run_id]


def test_queued_job_still_waiting_in_rq_is_left_alone(
    submit: Callable[..., Job], sweep: Callable[..., Report]
) -> None:
    submit()
    assert sweep().total == 0


def test_queued_job_lost_behind_a_backlog_longer_than_a_sweep_is_found(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    connection: redis.Redis, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    # More waiting jobs than one sweep looks at, older than the lost one, all in RQ.
    specs = [store.NewJob(user_id=1, type="timed", payload={"duration_seconds": 0})] * BATCH
    with sessions() as session:
        backlog = [store.create(session, spec) for spec in specs]
        session.commit()
    dispatch.enqueue(connection, [dispatch.Run.of(job) for job in backlog])
    lost = submit()
    Queue("user.1.normal", connection=connection).remove(lost.run_id or "")
    connection.delete(f"rq:job:{lost.run_id}")  # Redis has forgotten it
    found = [job_id for _ in range(3) for job_id in sweep().enqueued]
    assert found == [lost.id]
    assert row(lost.id).run_id in Queue("user.1.normal", connection=connection).job_ids
