"""Load at ``make test``'s size: locust's simulated users submit and poll jobs through
job-api while workers run them and are SIGKILLed every few seconds. Pass: fewer than
0.1 % of requests fail, and every job a user submitted completes (none lost). ``make soak``
runs its load during the full worker death storm instead (``test_worker_death_storm.py``)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import service_apps
from flask import Flask
from sqlalchemy import Engine, Select, func, select

from conveyor_core.jobs.db import make_engine
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.api import serve
from conveyor_testing.workers import WorkerFleet

from . import locust_run, report, sizes


@pytest.fixture
def job_api(
    database_url: str, backend: str, redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[tuple[Flask, str, WorkerFleet]]:
    """job-api served on a loopback port, its jobs database's URL, and a worker fleet."""
    if not sizes.load(backend):
        pytest.skip("make soak runs its load during the worker death storm")
    with (
        service_apps.database_pair(database_url, tmp_path) as databases,
        service_apps.running(databases, redis_url, jwt_keys, tmp_path) as (_, jobs),
    ):
        env = {"DATABASE_URL": databases[1], "REDIS_URL": redis_url,
               "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
               "VAR_DIR": str(tmp_path / "var"), "LOG_DIR": ""}  # fmt: skip
        fleet = WorkerFleet(env, tmp_path / "worker-logs")
        try:
            yield jobs, databases[1], fleet
        finally:
            fleet.stop()


def _kill_workers(
    fleet: WorkerFleet, alive: list[subprocess.Popen[bytes]], every: tuple[float, float],
    stop: threading.Event, kills: list[float],
) -> None:  # fmt: skip
    """SIGKILL a random worker every ``every`` seconds and start another in its place."""
    rng = random.Random(int(os.environ.get("SOAK_SEED", "2026")))
    while not stop.wait(rng.uniform(*every)):  # the pace of the fault injection
        victim = rng.choice(alive)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        kills.append(time.monotonic())
        alive.remove(victim)
        alive += fleet.start(1, wait=False)


def _count(engine: Engine, query: Select[int]) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def _all_completed(engine: Engine, expected: int) -> bool:
    return _count(engine, select(func.count()).where(Job.status == "completed")) == expected


def _load_once(
    app: Flask, engine: Engine, fleet: WorkerFleet, alive: list[subprocess.Popen[bytes]],
    tokens: Path, run: sizes.Load,
) -> dict[str, float]:  # fmt: skip
    """Run locust once (killing workers meanwhile if ``run`` says so); return its figures
    once every job it created has completed."""
    stop, kills = threading.Event(), list[float]()
    killer = threading.Thread(target=_kill_workers, args=(fleet, alive, run.kill_every, stop,
                                                           kills))  # fmt: skip
    before = _count(engine, select(func.count()).select_from(Job))
    began = time.monotonic()
    with serve(app) as url:
        if run.kill_every:
            killer.start()
        try:
            totals = locust_run.run(url, tokens, run.users, run.seconds)
        finally:
            stop.set()
            if run.kill_every:
                killer.join()
    created = _count(engine, select(func.count()).select_from(Job)) - before
    wait_for(lambda: _all_completed(engine, before + created),
             timeout=sizes.RECOVERY_BOUND + 30, interval=0.5,
             what="every submitted job to complete")  # fmt: skip
    return {**totals, "worker_kills": len(kills), "jobs_created": created,
            "total_seconds": round(time.monotonic() - began, 1)}  # fmt: skip


def test_simulated_users_see_no_errors_and_lose_no_job(
    job_api: tuple[Flask, str, WorkerFleet], make_token: Callable[..., str], tmp_path: Path,
    backend: str,
) -> None:  # fmt: skip
    app, jobs_database, fleet = job_api
    app.config["TESTING"] = False  # errors reach the handlers, as in production
    engine = make_engine(jobs_database)
    alive = fleet.start(sizes.LOAD_WORKERS)
    for run in sizes.load(backend):
        tokens = locust_run.write_tokens(tmp_path / "tokens.txt", make_token,
                                         range(1, run.users + 1))  # fmt: skip
        figures = _load_once(app, engine, fleet, alive, tokens, run)
        rate = figures["failures"] / max(1, figures["requests"])
        report.record(
            f"Load, {run.name} ({backend})", users=run.users, seconds=run.seconds,
            workers=sizes.LOAD_WORKERS, **figures, error_rate_percent=round(rate * 100, 3),
        )  # fmt: skip
        assert rate < sizes.MAX_ERROR_RATE, figures
        assert figures["jobs_not_completed"] == 0, figures
        assert figures["jobs_created"] >= figures["submissions"], figures  # none lost
    engine.dispose()
