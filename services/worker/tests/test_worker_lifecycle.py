"""A job's life on real worker processes: statuses, delays, duplicates, retries, timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis
from rq import Queue, Worker
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core import streams
from conveyor_core.jobs import dispatch, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

FINISHED = ("completed", "failed", "canceled")


def _finished(row: Callable[[str], Job], job_id: str) -> Callable[[], Job | None]:
    def check() -> Job | None:
        job = row(job_id)
        return job if job.status in FINISHED else None

    return check


@pytest.fixture
def events(connection: redis.Redis) -> Callable[[str], list[str]]:
    """Read user 1's event stream until the given job finishes; return its state changes."""

    def collect(job_id: str, timeout: float = 20) -> list[str]:
        seen: list[str] = []
        last = streams.FIRST_ID
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in streams.read(connection, 1, last, block_ms=500):
                last = event.id
                if event.data.get("job_id") == job_id and event.type != streams.JOB_PROGRESS:
                    seen.append(event.type)
                    if event.data["status"] in FINISHED:
                        return seen
        raise AssertionError(f"job {job_id} did not finish; events so far: {seen}")

    return collect


def test_delayed_job_goes_scheduled_queued_running_completed(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    events: Callable[[str], list[str]],
) -> None:  # fmt: skip
    workers.start(1)
    run_at = utcnow() + timedelta(seconds=1)
    job = submit({"duration_seconds": 0.3}, run_at=run_at)
    assert row(job.id).status == "scheduled"
    assert events(job.id) == ["job.queued", "job.started", "job.completed"], workers.logs()
    done = row(job.id)
    assert done.started_at is not None and done.started_at >= run_at
    assert done.result == {"elapsed_seconds": pytest.approx(0.3, abs=0.2)}
    assert done.wait_seconds >= 0 and done.run_seconds >= 0.3


def test_rq_shows_the_worker_busy_while_it_runs_a_job_and_idle_after(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1)

    def states() -> list[str]:
        return [worker.get_state() for worker in Worker.all(connection=connection)]

    wait_for(lambda: states() == ["idle"], what="the worker to wait for jobs")
    job = submit({"duration_seconds": 2})
    wait_for(lambda: row(job.id).status == "running", what="the job to start")
    # "busy" goes out with the run's start, not before the claim: give it the monitor's tick.
    wait_for(lambda: states() == ["busy"], what="RQ to show the worker busy")
    wait_for(_finished(row, job.id), timeout=20, what="the job to end")
    wait_for(lambda: states() == ["idle"], what="RQ to show the worker idle again")


def test_duplicate_delivery_runs_once(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    connection: redis.Redis,
) -> None:  # fmt: skip
    job = submit()
    dispatch.enqueue(connection, [dispatch.Run.of(job)])  # RQ delivers the same run twice
    workers.start(1)
    wait_for(_finished(row, job.id), what="job")
    wait_for(lambda: Queue("user.1.normal", connection=connection).count == 0, what="empty queue")
    assert row(job.id).attempts == 1


def test_retries_back_off_then_complete(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    events: Callable[[str], list[str]],
) -> None:  # fmt: skip
    workers.start(1)
    job = submit({"duration_seconds": 0, "fail_attempts": 2}, max_retries=3)
    seen = events(job.id)
    assert seen == ["job.started", "job.scheduled", "job.queued", "job.started",
                    "job.scheduled", "job.queued", "job.started", "job.completed"]  # fmt: skip
    done = row(job.id)
    assert (done.status, done.attempts, done.error) == ("completed", 3, None)


def test_exhausted_retries_fail_then_manual_retry_runs_again(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    sessions: sessionmaker[Session], connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1)
    job = submit({"duration_seconds": 0, "fail_attempts": 2}, max_retries=1)
    failed = wait_for(_finished(row, job.id), what="job to fail")
    assert (failed.status, failed.attempts) == ("failed", 2), workers.logs()
    assert failed.error is not None and "attempt 2" in failed.error
    with sessions() as session:  # what POST /api/jobs/{id}/retry does
        retried = store.retry(session, job.id)
        session.commit()
    assert retried is not None
    dispatch.enqueue(connection, [dispatch.Run.of(retried)])
    done = wait_for(_finished(row, job.id), what="retried job")
    assert (done.status, done.attempts) == ("completed", 3)


def test_timeout_ends_the_job_and_is_retried(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    workers.start(1)
    started = time.monotonic()
    job = submit({"duration_seconds": 30}, timeout_seconds=1, max_retries=1)
    done = wait_for(_finished(row, job.id), what="job to time out")
    assert (done.status, done.attempts) == ("failed", 2), workers.logs()
    assert done.error is not None and done.error.startswith("timeout")
    assert time.monotonic() - started < 10


def test_backoff_doubles_with_jitter() -> None:
    from conveyor_core.jobs.backoff import retry_delay

    for retry, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)]:
        delays = [retry_delay(retry, 2.0, 60.0) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1
