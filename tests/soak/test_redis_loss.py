"""Redis crash and loss: a Redis with an fsync-always AOF SIGKILLed and restarted while
clients submit with idempotency keys (every acknowledged job completes, once), and the
worst case, a FLUSHALL, after which the reconciler rebuilds the queues from SQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import service_apps
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs.db import make_engine
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.redis_server import RedisServer
from conveyor_testing.workers import WorkerFleet

from . import report, sizes

PASSWORD = "correct horse battery"
TIMED = {"type": "timed", "payload": {"duration_seconds": 0.01}}
RETRY_PAUSE = 0.05
"""Seconds a client waits before it sends the same submission again (its own pacing)."""


@pytest.fixture
def crashable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(data_dir=tmp_path / "redis", appendonly=True, appendfsync="always")
    with server:
        yield server


@pytest.fixture
def stack(
    database_url: str, crashable_redis: RedisServer, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[tuple[Flask, Flask, sessionmaker[Session], WorkerFleet]]:
    """user-service and job-api in this process, and a worker fleet, on the crashable Redis."""
    with (
        service_apps.database_pair(database_url, tmp_path) as databases,
        service_apps.running(databases, crashable_redis.url, jwt_keys, tmp_path) as apps,
    ):
        engine = make_engine(databases[1])
        env = {"DATABASE_URL": databases[1], "REDIS_URL": crashable_redis.url,
               "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
               "VAR_DIR": str(tmp_path / "var"), "LOG_DIR": ""}  # fmt: skip
        fleet = WorkerFleet(env, tmp_path / "worker-logs")
        try:
            yield apps[0], apps[1], sessionmaker(engine), fleet
        finally:
            fleet.kill()
            engine.dispose()


def _token(users: Flask) -> str:
    client = users.test_client()
    body = {"username": "client", "email": "client@example.com", "password": PASSWORD}
    assert client.post("/api/users", json=body).status_code == 201
    login = client.post("/api/auth/login", json={"username": "client", "password": PASSWORD})
    return str(login.get_json()["access_token"])


def _submit(jobs: Flask, token: str, key: str, deadline: float) -> tuple[str, int]:
    """Send one submission until it is acknowledged; return ``(job id, tries)``. While
    Redis is down the answer must be a 503 (or a 409 for a duplicate in flight), never 5xx."""
    client = jobs.test_client()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        response = client.post("/api/jobs", json=TIMED, headers=headers)
        if response.status_code in (200, 201):
            return str(response.get_json()["id"]), tries
        assert response.status_code in (409, 503), response.get_data(as_text=True)[:300]
        time.sleep(RETRY_PAUSE)
    raise AssertionError(f"submission {key} was never acknowledged")


def _statuses(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(session.scalars(select(Job.status)).all())


def test_every_acknowledged_submission_completes_once_across_redis_crashes(
    stack: tuple[Flask, Flask, sessionmaker[Session], WorkerFleet],
    crashable_redis: RedisServer, backend: str,
) -> None:  # fmt: skip
    users, jobs, sessions, fleet = stack
    size = sizes.redis_loss()
    began = time.monotonic()
    deadline = began + size.deadline
    token = _token(users)
    fleet.start(2)
    crash_at = {size.submissions * (n + 1) // (size.crashes + 1) for n in range(size.crashes)}
    acknowledged: dict[str, str] = {}
    tries = 0
    restarts: list[threading.Timer] = []
    for number in range(size.submissions):
        if number in crash_at:
            crashable_redis.kill()
            restart = threading.Timer(size.down_seconds, crashable_redis.start)
            restart.start()
            restarts.append(restart)
        job_id, took = _submit(jobs, token, f"key-{number}", deadline)
        acknowledged[f"key-{number}"] = job_id
        tries += took
    for restart in restarts:
        restart.join()

    wait_for(lambda: _statuses(sessions)["completed"] >= len(acknowledged),
             timeout=max(1.0, deadline - time.monotonic()), interval=0.5,
             what="every acknowledged job to complete")  # fmt: skip
    statuses = _statuses(sessions)
    report.record(
        f"Redis crashes during submissions ({backend})",
        submissions=size.submissions, crashes=size.crashes, down_seconds=size.down_seconds,
        requests_sent=tries, jobs_created=sum(statuses.values()),
        completed=statuses["completed"], seconds=round(time.monotonic() - began, 1),
    )  # fmt: skip
    assert len(set(acknowledged.values())) == size.submissions  # one job per key
    assert statuses == {"completed": size.submissions}, fleet.logs()[-3000:]


def test_after_a_flushall_every_unfinished_job_completes(
    stack: tuple[Flask, Flask, sessionmaker[Session], WorkerFleet],
    crashable_redis: RedisServer, backend: str,
) -> None:  # fmt: skip
    users, jobs, sessions, fleet = stack
    size = sizes.redis_loss()
    token = _token(users)
    deadline = time.monotonic() + size.deadline
    for number in range(size.submissions):
        _submit(jobs, token, f"key-{number}", deadline)
    client: Any = redis.Redis.from_url(crashable_redis.url)
    client.flushall()
    client.close()
    flushed = time.monotonic()
    fleet.start(2)
    wait_for(lambda: _statuses(sessions)["completed"] == size.submissions,
             timeout=sizes.FLUSH_BOUND, interval=0.5,
             what="every job to complete after FLUSHALL")  # fmt: skip
    report.record(
        f"FLUSHALL with jobs waiting ({backend})",
        jobs=size.submissions, seconds_to_complete_all=round(time.monotonic() - flushed, 1),
    )  # fmt: skip
    assert _statuses(sessions) == {"completed": size.submissions}
