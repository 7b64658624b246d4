"""What a soak scenario runs on: the jobs database, real ``python -m worker`` processes, a
real ``python -m email_notifier`` and an SMTP sink, all on the session's private Redis."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core import migrate
from conveyor_core.jobs import dispatch, store
from conveyor_testing import free_port
from conveyor_testing.workers import WorkerFleet
from email_notifier.sink import MailDir, serve

from . import sizes

CHUNK = 500
"""Jobs committed and pushed per round trip while a scenario submits."""


@pytest.fixture
def backend(database_url: str) -> str:
    """The scenario's SQL backend by name (``sqlite`` or ``postgresql``): sizes and report
    titles depend on it."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path, mail_dir: Path) -> dict[str, str]:
    """What every process of the scenario reads: one database, one Redis, one SMTP sink."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_DIR": "",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "SMTP_FROM": "conveyor@example.test",
        "SMTP_TIMEOUT": "5",
        "MAIL_DIR": str(mail_dir),
        "NOTIFIER_ALIVE_SECONDS": "1",
        "NOTIFIER_LEASE_SECONDS": "2",
    }


@pytest.fixture
def fleet(
    settings: dict[str, str], tmp_path: Path, sessions: sessionmaker[Session]
) -> Iterator[WorkerFleet]:
    fleet = WorkerFleet(settings, tmp_path / "worker-logs")
    yield fleet
    fleet.kill()


@pytest.fixture
def notifier(
    settings: dict[str, str], mail_dir: Path, tmp_path: Path, backend: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """An SMTP sink in this process and the notifier processes sending to it (one, or
    :func:`sizes.notifiers` for the scenario's backend)."""
    migrate.upgrade("email_notifier", {**os.environ, **settings})
    sink = serve(MailDir(mail_dir), "127.0.0.1", int(settings["SMTP_PORT"]))
    processes = []
    for number in range(sizes.notifiers(backend)):
        with (tmp_path / f"notifier-{number}.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "email_notifier"], env={**os.environ, **settings},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    sink.stop()


@pytest.fixture
def submit_many(sessions: sessionmaker[Session], redis_url: str) -> Callable[..., list[str]]:
    """Commit ``count`` timed jobs (0 to ``longest`` s each) and push them, as job-api does."""
    connection = redis.Redis.from_url(redis_url)

    def submit(count: int, longest: float, user_id: int = 1) -> list[str]:
        ids: list[str] = []
        for start in range(0, count, CHUNK):
            specs = [
                store.NewJob(
                    user_id=user_id,
                    type="timed",
                    payload={"duration_seconds": round(random.uniform(0, longest), 3)},
                    notify_email=True,
                    notify_to=f"user{user_id}@example.test",
                    owner_name=f"user{user_id}",
                )
                for _ in range(min(CHUNK, count - start))
            ]
            with sessions() as session:
                jobs = [store.create(session, spec) for spec in specs]
                session.commit()
            dispatch.enqueue(connection, [dispatch.Run.of(job) for job in jobs])
            ids += [job.id for job in jobs]
        return ids

    return submit
