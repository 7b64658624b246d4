"""Fixtures for the worker: the jobs schema, submission as job-api does it, real workers."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core import notifications
from conveyor_core.jobs import dispatch, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.jobs.reconcile import Report, reconcile
from conveyor_testing.workers import FAST_SETTINGS, WorkerFleet
from worker import runtime
from worker import settings as worker_settings
from worker.process import ConveyorWorker

pytest_plugins = ["conveyor_testing.job_records"]  # engine, sessions: the jobs table


@pytest.fixture
def submit(sessions: sessionmaker[Session], connection: redis.Redis) -> Callable[..., Job]:
    """Commit a job row, then hand it to Redis: job-api's order of work."""

    def create(
        payload: dict[str, Any] | None = None, job_type: str = "timed", **fields: Any
    ) -> Job:
        fields.setdefault("user_id", 1)
        spec = store.NewJob(type=job_type, payload=payload or {"duration_seconds": 0}, **fields)
        with sessions() as session:
            job = store.create(session, spec)
            session.commit()
        if job.run_id:
            dispatch.enqueue(connection, [dispatch.Run.of(job)])
        else:
            assert job.scheduled_for is not None
            dispatch.schedule_releases(connection, [(job.id, job.scheduled_for)])
        return job

    return create


@pytest.fixture
def row(sessions: sessionmaker[Session]) -> Callable[[str], Job]:
    """Read a job row as the database has it now."""

    def read(job_id: str) -> Job:
        with sessions() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    return read


@pytest.fixture
def sweep(sessions: sessionmaker[Session], connection: redis.Redis) -> Callable[..., Report]:
    """Run one reconciler sweep as if ``later`` seconds had passed (grace 1 s, lease 2 s)."""

    def run(later: float = 10) -> Report:
        now = utcnow() + timedelta(seconds=later)
        return reconcile(sessions, connection, grace=1, lease=2, now=now)

    return run


@pytest.fixture
def emails(connection: redis.Redis) -> Callable[[], list[str]]:
    """The keys of the emails waiting on the notifier's queue."""

    def keys() -> list[str]:
        return [job.kwargs["key"] for job in Queue(notifications.QUEUE, connection=connection).jobs]

    return keys


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_DIR": "",
    }


@pytest.fixture
def burst(settings: dict[str, str]) -> Iterator[Callable[[], None]]:
    """Run a burst worker in this process until the queues are empty."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)}
    rt = runtime.configure(worker_settings.load({**FAST_SETTINGS, **settings}))

    def work() -> None:
        ConveyorWorker.create(rt).work(burst=True)

    yield work
    runtime.reset()
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def workers(
    settings: dict[str, str], tmp_path: Path, sessions: sessionmaker[Session]
) -> Iterator[WorkerFleet]:
    """Real ``python -m worker`` processes (killed at the end of the test)."""
    fleet = WorkerFleet(settings, tmp_path / "worker-logs")
    yield fleet
    fleet.kill()
