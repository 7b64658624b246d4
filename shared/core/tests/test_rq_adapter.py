"""The contract with RQ's storage layout (``conveyor_core.rq_adapter``), checked against the
installed RQ and a real Redis: each test fails if an RQ upgrade moves what we read or write."""

from __future__ import annotations

import signal
from datetime import UTC, datetime

import redis
from rq import Queue
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from conveyor_core import rq_adapter
from conveyor_core.rq_worker import PromptSimpleWorker

QUEUE = "jobs.contract"


def _enqueued(connection: redis.Redis) -> RQJob:
    return Queue(QUEUE, connection=connection).enqueue("operator.add", 1, 2)


def _state(connection: redis.Redis, run_id: str) -> tuple[str | None, datetime | None]:
    with connection.pipeline(transaction=False) as pipe:
        rq_adapter.queue_run_state(pipe, run_id)
        (reply,) = pipe.execute()
    return rq_adapter.run_state(reply)


def test_a_run_rq_enqueued_reads_as_waiting(connection: redis.Redis) -> None:
    status, started = _state(connection, _enqueued(connection).id)
    assert status in rq_adapter.WAITING_STATUSES
    assert started is None


def test_a_run_rq_never_held_reads_as_missing(connection: redis.Redis) -> None:
    assert _state(connection, "no-such-run") == (None, None)


def test_rq_reads_a_run_we_started_as_started_on_its_worker(connection: redis.Redis) -> None:
    job = _enqueued(connection)
    before = datetime.now(UTC).replace(microsecond=0)
    with connection.pipeline() as pipe:
        rq_adapter.started(pipe, job.id, "host.1.abc")
        pipe.execute()
    again = RQJob.fetch(job.id, connection=connection)
    assert (again.get_status(), again.worker_name) == (JobStatus.STARTED, "host.1.abc")
    status, started = _state(connection, job.id)
    assert status == "started"
    assert started is not None and before <= started <= datetime.now(UTC)


def test_a_start_rq_itself_wrote_is_read(connection: redis.Redis) -> None:
    job = _enqueued(connection)
    before = datetime.now(UTC).replace(microsecond=0)  # RQ keeps whole microseconds or less
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:  # RQ's worker installs its own handlers and leaves them
        worker = PromptSimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
        worker.work(burst=True)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert RQJob.fetch(job.id, connection=connection).get_status() == JobStatus.FINISHED
    _, started = _state(connection, job.id)
    assert started is not None and before <= started <= datetime.now(UTC)


def test_rq_lists_a_run_we_finished_in_its_finished_registry(connection: redis.Redis) -> None:
    job = _enqueued(connection)
    with connection.pipeline() as pipe:
        rq_adapter.finished(pipe, QUEUE, job.id)
        pipe.execute()
    assert job.id in FinishedJobRegistry(QUEUE, connection=connection).get_job_ids()
    assert RQJob.fetch(job.id, connection=connection).get_status() == JobStatus.FINISHED


def test_rq_lists_a_run_we_failed_in_its_failed_registry(connection: redis.Redis) -> None:
    job = _enqueued(connection)
    rq_adapter.failed(connection, QUEUE, job.id, "JobFailure: on purpose")
    assert job.id in FailedJobRegistry(QUEUE, connection=connection).get_job_ids()
    assert RQJob.fetch(job.id, connection=connection).get_status() == JobStatus.FAILED


def test_a_discarded_run_is_gone_from_rq(connection: redis.Redis) -> None:
    job = _enqueued(connection)
    with connection.pipeline() as pipe:
        rq_adapter.discarded(pipe, job.id)
        pipe.execute()
    assert not RQJob.exists(job.id, connection=connection)
