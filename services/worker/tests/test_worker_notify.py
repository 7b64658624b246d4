"""The finished-job email: enqueued as the job ends, and owed on the row until it is
(the sweep sends what a worker could not)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs import outbox, runs, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.reconcile import Report
from conveyor_testing import wait_for
from conveyor_testing.redis_server import RedisServer
from conveyor_testing.workers import WorkerFleet
from worker import execution, runtime
from worker.runtime import Runtime

OWNER = {"notify_email": True, "notify_to": "owner@example.test", "owner_name": "owner"}


def _end_owing_an_email(sessions: sessionmaker[Session], job: Job) -> Job:
    """Run and complete a job as a worker whose Redis is down does: the email stays owed."""
    with sessions() as session:
        assert runs.claim(session, job.id, job.run_id or "", "gone.1.x", utcnow())
        done = runs.complete(session, job.id, job.run_id or "", result={}, elapsed=0.1,
                              now=utcnow())  # fmt: skip
        session.commit()
    assert done is not None and done.email_owed
    return done


@pytest.fixture
def rt(burst: Callable[[], None]) -> Runtime:
    """The worker runtime, configured (by ``burst``) as ``python -m worker`` does."""
    return runtime.get()


def test_completed_job_emails_its_owner_and_clears_the_mark(
    submit: Callable[..., Job], row: Callable[[str], Job], emails: Callable[[], list[str]],
    burst: Callable[[], None],
) -> None:  # fmt: skip
    job = submit(**OWNER)
    burst()
    done = row(job.id)
    assert (done.status, done.email_owed) == ("completed", False)
    assert done.finished_at is not None  # the key the notifier sends once per:
    assert emails() == [f"job-finished:{job.id}:{done.finished_at.isoformat()}"]


def test_job_without_notify_email_owes_nothing(
    submit: Callable[..., Job], row: Callable[[str], Job], emails: Callable[[], list[str]],
    burst: Callable[[], None],
) -> None:  # fmt: skip
    job = submit(notify_to="owner@example.test")
    burst()
    assert (row(job.id).status, row(job.id).email_owed) == ("completed", False)
    assert emails() == []


def test_attempt_returns_when_redis_is_down_as_the_job_ends(
    submit: Callable[..., Job], row: Callable[[str], Job], rt: Runtime,
    redis_server: RedisServer,
) -> None:  # fmt: skip
    job = submit(**OWNER)
    redis_server.kill()
    try:
        done = execution.attempt(rt, job.run_id or "", job.id)
    finally:
        redis_server.start()
    assert (done.status, done.error) == ("completed", None)
    assert row(job.id).email_owed  # nothing reached the notifier: the row says so


def test_email_owed_while_redis_was_down_is_sent_once_by_the_sweep(
    submit: Callable[..., Job], row: Callable[[str], Job],
    emails: Callable[[], list[str]], rt: Runtime,
    redis_server: RedisServer, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit(**OWNER)
    redis_server.kill()
    try:
        execution.attempt(rt, job.run_id or "", job.id)
    finally:
        redis_server.start()  # back, empty (no persistence)
    for _ in range(3):
        sweep()
    assert emails() == [outbox.key(row(job.id))]
    assert not row(job.id).email_owed


def test_attempt_returns_when_redis_is_down_as_a_failed_run_is_retried(
    submit: Callable[..., Job], row: Callable[[str], Job],
    rt: Runtime, redis_server: RedisServer, sweep: Callable[..., Report],
) -> None:  # fmt: skip
    job = submit({"duration_seconds": 0, "fail_attempts": 1}, max_retries=1)
    redis_server.kill()
    try:
        done = execution.attempt(rt, job.run_id or "", job.id)
    finally:
        redis_server.start()
    assert done.status == "scheduled" and done.error is not None
    # Its release never reached RQ's scheduler: the sweep releases it once it is overdue.
    sweep()
    assert row(job.id).status == "queued"


def test_sweep_sends_an_owed_email_and_clears_its_mark(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    emails: Callable[[], list[str]], sweep: Callable[..., Report],
) -> None:  # fmt: skip
    done = _end_owing_an_email(sessions, submit(**OWNER))
    report = sweep()
    assert report.notified == [done.id]
    assert emails() == [outbox.key(done)]
    assert not row(done.id).email_owed


def test_sweep_leaves_an_email_owed_within_the_grace_to_its_worker(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    emails: Callable[[], list[str]], sweep: Callable[..., Report],
) -> None:  # fmt: skip
    done = _end_owing_an_email(sessions, submit(**OWNER))
    assert sweep(later=0).total == 0
    assert row(done.id).email_owed and emails() == []


def test_retry_by_hand_gives_up_the_email_owed_for_the_last_ending(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
) -> None:  # fmt: skip
    job = submit(**OWNER)
    with sessions() as session:
        assert runs.claim(session, job.id, job.run_id or "", "gone.1.x", utcnow())
        assert runs.fail(session, job.id, job.run_id or "", error="boom", elapsed=0.1,
                          now=utcnow(), retry_in=None) == "failed"  # fmt: skip
        session.commit()
    assert row(job.id).email_owed
    with sessions() as session:
        assert store.retry(session, job.id) is not None
        session.commit()
    assert not row(job.id).email_owed  # else a cancel of the retry would email its owner


def test_worker_keeps_working_after_redis_goes_away_as_its_job_ends(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    redis_server: RedisServer,
) -> None:  # fmt: skip
    (process,) = workers.start(1)
    job = submit({"duration_seconds": 1}, **OWNER)
    wait_for(lambda: row(job.id).status == "running", what="the job to start")
    redis_server.kill()
    try:
        wait_for(lambda: row(job.id).status == "completed", what="the job to end, Redis down")
    finally:
        redis_server.start()
    again = submit()
    wait_for(lambda: row(again.id).status == "completed", timeout=60,
             what=f"the worker to run the next job\n{workers.logs()}")  # fmt: skip
    assert process.poll() is None
