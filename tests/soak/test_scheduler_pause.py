"""Scheduler double-run (rq#2338): the worker holding RQ's scheduler lock is frozen
(SIGSTOP) while delayed jobs come due, its lock lapses and another worker's scheduler takes
over; then the frozen one resumes with its stale view. No job may run twice."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta

import redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs import dispatch, store
from conveyor_core.jobs.keys import CONTROL_QUEUE
from conveyor_core.jobs.models import Job, utcnow
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

from . import report, sizes

LOCK = RQScheduler.get_locking_key(CONTROL_QUEUE)
"""The lock whose holder releases delayed jobs to their queues."""

DUE_IN = timedelta(seconds=3)


def _holder(connection: redis.Redis) -> tuple[str, int] | None:
    """``(scheduler name, pid)`` of the lock's holder, once there is one."""
    name = connection.get(LOCK)
    if not name:
        return None
    text = name.decode() if isinstance(name, bytes) else str(name)
    pid = connection.hget(SCHEDULER_KEY_TEMPLATE % text, "pid")
    return (text, int(pid)) if pid and int(pid) else None


def _count(sessions: sessionmaker[Session], query: object) -> Callable[[], int]:
    def count() -> int:
        with sessions() as session:
            return int(session.scalar(query) or 0)  # type: ignore[call-overload]

    return count


def test_a_frozen_scheduler_resuming_runs_no_job_twice(
    fleet: WorkerFleet, sessions: sessionmaker[Session], redis_url: str, backend: str
) -> None:
    size = sizes.scheduler_pause()
    began = time.monotonic()
    connection = redis.Redis.from_url(redis_url)
    # Workers retry the lock at each maintenance (30 s by default): every second here.
    fleet.start(size.workers, WORKER_MAINTENANCE_INTERVAL="1")
    holder = wait_for(lambda: _holder(connection), what="a scheduler to hold the lock")
    run_at = utcnow() + DUE_IN
    with sessions() as session:
        spec = store.NewJob(user_id=1, type="timed", payload={"duration_seconds": 0}, run_at=run_at)
        jobs = [store.create(session, spec) for _ in range(size.jobs)]
        session.commit()
    dispatch.schedule_releases(connection, [(job.id, run_at) for job in jobs])

    os.kill(holder[1], signal.SIGSTOP)
    frozen_at = time.monotonic()
    try:
        with sessions() as session:
            running = session.scalar(select(func.count()).where(
                Job.status == "running", Job.worker_name.contains(f".{holder[1]}.")))  # fmt: skip
        connection.delete(LOCK)  # what its TTL running out would do, without the wait
        wait_for(lambda: (h := _holder(connection)) and h[0] != holder[0],
                 timeout=30, what="another scheduler to take the lock over")  # fmt: skip
        # The freeze lasts as long as the scenario says: that is the fault, not a wait.
        time.sleep(max(0.0, size.frozen_seconds - (time.monotonic() - frozen_at)))
    finally:
        os.kill(holder[1], signal.SIGCONT)

    completed = _count(sessions, select(func.count()).where(Job.status == "completed"))
    wait_for(lambda: completed() == size.jobs, timeout=size.deadline, interval=0.5,
             what="every delayed job to complete")  # fmt: skip
    with sessions() as session:
        runs = session.scalar(select(func.sum(Job.attempts + Job.recoveries))) or 0
    connection.close()
    report.record(
        f"Scheduler lock holder frozen ({backend})",
        delayed_jobs=size.jobs, workers=size.workers, frozen_seconds=size.frozen_seconds,
        runs=runs, jobs_run_twice=runs - size.jobs, seconds=round(time.monotonic() - began, 1),
    )  # fmt: skip
    # A job the frozen worker itself was running may be recovered elsewhere (at least once,
    # by design); none other may run twice.
    assert size.jobs <= runs <= size.jobs + (running or 0), fleet.logs()[-3000:]
