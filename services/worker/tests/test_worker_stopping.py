"""Stopping work: cancels, a killed worker, and graceful shutdown, on real processes; and
the interrupts that stop a job in the worker's own process."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest
import redis
from rq.command import send_stop_job_command
from rq.job import Job as RQJob
from rq.suspension import resume, suspend
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.fair import Dispatcher, queue_name
from conveyor_core.jobs import store
from conveyor_core.jobs.keys import CANCEL_KEY
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet
from worker import runtime
from worker.exceptions import JobTimedOut
from worker.monitor import Monitor
from worker.process import ConveyorWorker

FINISHED = ("completed", "failed", "canceled")


def _in(row: Callable[[str], Job], job_id: str, *statuses: str) -> Callable[[], Job | None]:
    def check() -> Job | None:
        job = row(job_id)
        return job if job.status in statuses else None

    return check


def _cancel(sessions: sessionmaker[Session], job_id: str) -> str:
    with sessions() as session:
        outcome = store.cancel(session, job_id)
        session.commit()
    return outcome


def test_canceled_queued_job_never_runs(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    canceled = submit({"duration_seconds": 0})
    assert _cancel(sessions, canceled.id) == "canceled"
    after = submit({"duration_seconds": 0})
    workers.start(1)
    wait_for(_in(row, after.id, *FINISHED), what="the later job")
    job = row(canceled.id)
    assert (job.status, job.attempts, job.started_at) == ("canceled", 0, None)


def test_stop_job_command_cancels_a_running_job(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    sessions: sessionmaker[Session], connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1)
    job = submit({"duration_seconds": 30}, max_retries=3)
    running = wait_for(_in(row, job.id, "running"), what="job to run")
    rq_job = RQJob.key_for(running.run_id or "")
    # RQ's command needs the job to show its worker, as RQ itself records it at start.
    wait_for(lambda: connection.hget(rq_job, "worker_name"), what="RQ to show the worker")
    assert _cancel(sessions, job.id) == "stopping"
    send_stop_job_command(connection, running.run_id or "")
    done = wait_for(_in(row, job.id, *FINISHED), what="job to stop")
    assert (done.status, done.attempts, done.error) == ("canceled", 1, None), workers.logs()
    assert done.progress_percent < 100  # stopped, not run to its end
    # The worker takes the next job only once it has settled the stopped one, so a retry
    # of the stopped job would be scheduled before this one finishes; there must be none.
    later = submit({"duration_seconds": 0})
    wait_for(_in(row, later.id, *FINISHED), what="the next job")
    assert (row(job.id).status, row(job.id).scheduled_for) == ("canceled", None)


def test_cancel_key_alone_stops_a_running_job(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    sessions: sessionmaker[Session], connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1)
    job = submit({"duration_seconds": 30})
    running = wait_for(_in(row, job.id, "running"), what="job to run")
    _cancel(sessions, job.id)
    connection.set(CANCEL_KEY.format(run_id=running.run_id), 1)  # the stop command was lost
    done = wait_for(_in(row, job.id, *FINISHED), timeout=10, what="job to stop")
    assert done.status == "canceled"


def test_job_of_a_killed_worker_runs_again(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    workers.start(2)
    job = submit({"duration_seconds": 2})
    running = wait_for(_in(row, job.id, "running"), what="job to run")
    assert running.worker_name is not None
    os.kill(workers.pid_of(running.worker_name), signal.SIGKILL)
    done = wait_for(_in(row, job.id, *FINISHED), timeout=30, what="job to complete elsewhere")
    assert done.status == "completed", workers.logs()
    assert done.worker_name != running.worker_name
    assert (done.recoveries, done.attempts) == (1, 1)


def test_sigterm_finishes_the_current_job_then_exits(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    (process,) = workers.start(1)
    job = submit({"duration_seconds": 1.5})
    wait_for(_in(row, job.id, "running"), what="job to run")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert row(job.id).status == "completed"


def test_sigterm_hands_back_a_job_that_outlives_the_grace(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    (process,) = workers.start(1, JOB_SHUTDOWN_GRACE="0.5")
    job = submit({"duration_seconds": 3})
    wait_for(_in(row, job.id, "running"), what="job to run")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    handed_back = row(job.id)
    assert (handed_back.status, handed_back.attempts) == ("queued", 0)
    workers.start(1)
    done = wait_for(_in(row, job.id, *FINISHED), timeout=30, what="job to complete")
    assert (done.status, done.attempts) == ("completed", 1), workers.logs()


def test_a_worker_that_stops_gives_back_the_job_it_picked_at_the_last_end(
    submit: Callable[..., Job], row: Callable[[str], Job], burst: Callable[[], None],
    connection: redis.Redis,
) -> None:  # fmt: skip
    first, second = submit(), submit()
    ConveyorWorker.create(runtime.get()).work(burst=True, max_jobs=1)  # picks the second
    assert (row(first.id).status, row(second.id).status) == ("completed", "queued")
    assert connection.lrange(f"rq:queue:{queue_name(1, 'normal')}", 0, -1) == [
        second.run_id.encode()
    ]
    assert Dispatcher(connection, {}).unfinished_picks() == []
    burst()
    assert (row(second.id).status, row(second.id).attempts) == ("completed", 1)


def test_a_suspended_worker_gives_back_the_job_it_picked_at_the_last_end(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1)
    first = submit({"duration_seconds": 1.5})  # outlasts the worker's 1 s between looks
    wait_for(_in(row, first.id, "running"), what="the first job to run")
    second = submit()
    suspend(connection)
    wait_for(_in(row, first.id, *FINISHED), what="the first job to end")
    line = f"rq:queue:{queue_name(1, 'normal')}"
    wait_for(lambda: connection.lrange(line, 0, -1) == [second.run_id.encode()],
             what="the second job back in its line")  # fmt: skip
    assert row(second.id).status == "queued"
    resume(connection)
    done = wait_for(_in(row, second.id, *FINISHED), what="the second job to run")
    assert done.status == "completed", workers.logs()


def test_deleted_users_jobs_are_canceled(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    connection: redis.Redis,
) -> None:  # fmt: skip
    from datetime import timedelta

    from conveyor_core.jobs import dispatch
    from conveyor_core.jobs.models import utcnow

    workers.start(1)
    running = submit({"duration_seconds": 30})
    wait_for(_in(row, running.id, "running"), what="job to run")
    scheduled = submit(run_at=utcnow() + timedelta(hours=1))
    other = submit(run_at=utcnow() + timedelta(hours=1), user_id=2)
    dispatch.cancel_user_jobs(connection, 1)  # what user-service calls on a deletion
    wait_for(_in(row, running.id, "canceled"), timeout=10, what="running job to stop")
    assert row(scheduled.id).status == "canceled"
    assert row(other.id).status == "scheduled"


def _watching(burst: Callable[[], None]) -> Monitor:
    """A monitor over a run in its body, its interrupt handler installed (``burst`` set up
    the runtime and puts the signal handlers back afterwards)."""
    monitor = Monitor(runtime.get())
    monitor.install()
    monitor.begin("job", "run", timeout=60)
    monitor.enter_body()
    return monitor


def test_an_interrupt_waits_for_the_platforms_bookkeeping(burst: Callable[[], None]) -> None:
    monitor = _watching(burst)
    held_back = False
    with pytest.raises(JobTimedOut), monitor.shield():
        monitor.interrupt(JobTimedOut("timeout"))  # the signal arrives at once
        held_back = True
    assert held_back


def test_an_interrupt_outside_the_bookkeeping_is_raised_at_once(
    burst: Callable[[], None],
) -> None:
    monitor = _watching(burst)
    with pytest.raises(JobTimedOut):
        monitor.interrupt(JobTimedOut("timeout"))
        pytest.fail("the interrupt was held back")
