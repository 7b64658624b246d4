"""Worker death storm: jobs keep arriving while a random worker is SIGKILLed every few
seconds, and locust's simulated users submit and poll jobs through job-api meanwhile.
Every job completes exactly once, nothing fails, each killed job runs again within the
bound, every owner gets exactly one email per job, and fewer than 0.1 % of the users'
requests fail (a job not completed within 60 s counts as a failed request)."""

from __future__ import annotations

import itertools
import math
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import redis
import service_apps
from flask import Flask
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core import notifications
from conveyor_core.jobs.db import make_engine
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

from . import locust_run, report, sizes

FINISHED = ("completed", "failed", "canceled")
STORM_USER = 1
"""Owner of the jobs the scenario submits itself; locust's users are numbered from
``LOAD_USERS_FROM``, so the two kinds of job can be told apart."""
LOAD_USERS_FROM = 1001


@pytest.fixture
def job_api(
    database_url: str,
    backend: str,
    redis_url: str,
    jwt_keys: tuple[str, str],
    tmp_path: Path,
) -> Iterator[tuple[Flask, str] | None]:
    """job-api for the storm's load (locust's users), on a migrated jobs database of its
    own, and that database's URL: the scenario's workers, notifier and submissions use it
    too. ``None`` when the storm runs without a load (``make test``)."""
    if sizes.storm(backend).load is None:
        yield None
        return
    with (
        service_apps.database_pair(database_url, tmp_path) as databases,
        service_apps.running(databases, redis_url, jwt_keys, tmp_path) as (_, jobs),
    ):
        jobs.config["TESTING"] = False  # errors reach the handlers, as in production
        yield jobs, databases[1]


@pytest.fixture
def settings(settings: dict[str, str], job_api: tuple[Flask, str] | None) -> dict[str, str]:
    """The soak stack's settings, on job-api's jobs database if there is one."""
    return settings if job_api is None else {**settings, "DATABASE_URL": job_api[1]}


@pytest.fixture
def sessions(
    sessions: sessionmaker[Session], job_api: tuple[Flask, str] | None
) -> Iterator[sessionmaker[Session]]:
    """The soak stack's sessions, or sessions on job-api's jobs database (migrated and
    emptied by ``job_api``) if there is one."""
    if job_api is None:
        yield sessions
        return
    engine = make_engine(job_api[1])
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


class Recoveries:
    """Watches each killed worker's job until another worker runs it (or it has ended)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.delays: list[float] = []
        self.threads: list[threading.Thread] = []

    def watch(self, job_id: str, worker_name: str, killed_at: float) -> None:
        thread = threading.Thread(target=self._wait, args=(job_id, worker_name, killed_at))
        thread.start()
        self.threads.append(thread)

    def _wait(self, job_id: str, worker_name: str, killed_at: float) -> None:
        deadline = killed_at + sizes.RECOVERY_BOUND
        while time.monotonic() < deadline:
            with self.sessions() as session:
                job = session.get(Job, job_id)
            if job is not None and (job.worker_name != worker_name or job.status in FINISHED):
                self.delays.append(time.monotonic() - killed_at)
                return
            time.sleep(0.1)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(sizes.RECOVERY_BOUND + 5)


def _busy(sessions: sessionmaker[Session], pids: set[int]) -> dict[int, Job]:
    """The running jobs of the workers ``pids``, by pid (a worker name is host.pid.suffix)."""
    with sessions() as session:
        running = session.scalars(select(Job).where(Job.status == "running")).all()
    found = {}
    for job in running:
        pid = int(job.worker_name.split(".")[-2]) if job.worker_name else 0
        if pid in pids:
            found[pid] = job
    return found


def _counter(sessions: sessionmaker[Session], query: Any) -> Callable[[], int]:
    """Read ``query``'s count in a transaction of its own (on SQLite every transaction holds
    the write lock: one kept open across a wait would stop every worker)."""

    def count() -> int:
        with sessions() as session:
            return int(session.scalar(query) or 0)

    return count


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def _mail_per_job(mail_dir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in mail_dir.glob("*.eml"):
        subject = str(message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"])
        found[subject.split("#")[1].split()[0]] += 1
    return found


def _mail_settled(connection: redis.Redis, sessions: sessionmaker[Session]) -> bool:
    """No email owed, queued, taken, waiting for a retry or being sent: what is in the
    sink now is all there will be. A delivery the notifier has just taken sits in the
    queue's intermediate list until it is registered as started: counted too (without it,
    the last email of a run was once found missing and arrived 0.3 s later)."""
    queue = Queue(notifications.QUEUE, connection=connection)
    with sessions() as session:
        owed = session.scalar(select(func.count()).where(Job.email_owed.is_(True)))
    waiting = (
        queue.count,
        connection.llen(queue.intermediate_queue_key),
        StartedJobRegistry(queue=queue).count,
        ScheduledJobRegistry(queue=queue).count,
    )
    return owed == 0 and not any(waiting)


def _load(
    run: sizes.Load | None, job_api: tuple[Flask, str] | None,
    make_token: Callable[..., str], scratch: Path,
) -> locust_run.InBackground | None:  # fmt: skip
    """locust's users on job-api, ready to start (none in ``make test``'s storm)."""
    if run is None or job_api is None:
        return None
    users = range(LOAD_USERS_FROM, LOAD_USERS_FROM + run.users)
    tokens = locust_run.write_tokens(scratch / "tokens.txt", make_token, users)
    return locust_run.InBackground(job_api[0], tokens, run.users, run.seconds)


def _record_load(
    load: locust_run.InBackground, size: sizes.Storm, backend: str, created: int,
    kills: list[float],
) -> dict[str, float]:  # fmt: skip
    """Record the load's figures; return those its pass criteria need."""
    assert size.load is not None
    totals = load.join()
    rate = totals["failures"] / max(1, totals["requests"])
    report.record(
        f"Load, {size.load.name} ({backend})",
        users=size.load.users, seconds=size.load.seconds, workers=size.workers, **totals,
        jobs_created=created, error_rate_percent=round(rate * 100, 3), worker_kills=len(kills),
    )  # fmt: skip
    return {**totals, "jobs_created": created, "error_rate": rate}


def test_no_job_is_lost_or_repeated_while_workers_die(
    fleet: WorkerFleet, notifier: list[object], submit_many: Callable[..., list[str]],
    sessions: sessionmaker[Session], mail_dir: Path, redis_url: str, backend: str,
    job_api: tuple[Flask, str] | None, make_token: Callable[..., str], tmp_path: Path,
) -> None:  # fmt: skip
    size = sizes.storm(backend)
    rng = random.Random(int(os.environ.get("SOAK_SEED", "2026")))
    load = _load(size.load, job_api, make_token, tmp_path)
    began = time.monotonic()
    alive = fleet.start(size.workers)
    if load:
        load.start()
    per_wave = math.ceil(size.jobs / size.min_kills)
    ids: list[str] = []
    kill_times: list[float] = []
    recoveries = Recoveries(sessions)
    while len(kill_times) < size.min_kills or (load and load.running()):
        kills = len(kill_times)
        assert time.monotonic() - began < size.deadline, f"only {kills} kills in time"
        due = (kill_times[-1] if kill_times else time.monotonic()) + rng.uniform(*size.kill_every)
        if len(ids) < size.jobs:
            ids += submit_many(min(per_wave, size.jobs - len(ids)), longest=0.05)
        # The pace of the fault injection itself, not a wait for a condition; counted from
        # the last kill, so the submissions and restarts between kills do not stretch it.
        time.sleep(max(0.0, due - time.monotonic()))
        pids = {p.pid: p for p in alive if p.poll() is None}
        busy = _busy(sessions, set(pids))
        victim = pids[rng.choice(sorted(busy))] if busy else rng.choice(list(pids.values()))
        job = busy.get(victim.pid)
        os.killpg(victim.pid, signal.SIGKILL)
        kill_times.append(time.monotonic())
        if job is not None and job.worker_name:
            recoveries.watch(job.id, job.worker_name, kill_times[-1])
        victim.wait()
        alive.remove(victim)
        alive += fleet.start(1, wait=False)
    if len(ids) < size.jobs:
        ids += submit_many(size.jobs - len(ids), longest=0.05)

    left = size.deadline - (time.monotonic() - began)
    unfinished = _counter(sessions, select(func.count()).where(Job.status.not_in(FINISHED)))
    wait_for(lambda: unfinished() == 0, timeout=left, interval=0.5,
             what="every job to finish")  # fmt: skip
    with sessions() as session:
        statuses = Counter(session.scalars(select(Job.status)).all())
        extra = session.scalar(select(func.sum(Job.recoveries + Job.attempts - 1))) or 0
        storm_completed = session.scalar(select(func.count()).where(
            Job.user_id == STORM_USER, Job.status == "completed"))  # fmt: skip
        load_jobs = session.scalar(
            select(func.count()).where(Job.user_id >= LOAD_USERS_FROM)) or 0  # fmt: skip
    recoveries.join()
    connection = redis.Redis.from_url(redis_url)
    # Under the full load the notifiers fall behind (one fell ~6,000 emails behind: 1-2 a
    # second on SQLite beside 8 workers and 200 users, ~30 once they stopped): they may take
    # what is left of the scenario's deadline, and how long they took is a figure.
    drained = time.monotonic()
    left = max(60.0, size.deadline - (drained - began))
    wait_for(lambda: _mail_settled(connection, sessions), timeout=left, interval=0.5,
             what="mail to settle")  # fmt: skip
    mail_lag = time.monotonic() - drained
    connection.close()
    mail = _mail_per_job(mail_dir)
    kills = len(kill_times)

    report.record(
        f"Worker death storm ({backend})",
        jobs=len(ids), load_jobs=load_jobs, workers=size.workers, notifiers=len(notifier),
        kills=kills, kills_mid_job=len(recoveries.threads), extra_attempts=extra,
        completed=statuses["completed"], failed=statuses["failed"],
        max_restart_seconds=round(max(recoveries.delays, default=0.0), 2),
        kill_gap_seconds=_spread([b - a for a, b in itertools.pairwise(kill_times)]),
        emails=sum(mail.values()), jobs_emailed_twice=sum(1 for n in mail.values() if n > 1),
        seconds_from_last_job_to_last_email=round(mail_lag, 1),
        seconds=round(time.monotonic() - began, 1),
    )  # fmt: skip
    users = None
    if load:
        during = [t for t in kill_times if load.began <= t <= load.ended]
        users = _record_load(load, size, backend, load_jobs, during)
    assert statuses == {"completed": len(ids) + load_jobs}, fleet.logs()[-3000:]
    assert storm_completed == len(ids)
    assert extra <= kills
    assert len(recoveries.delays) == len(recoveries.threads)  # each one ran again in time
    assert mail == dict.fromkeys(ids, 1)
    if users:
        assert users["error_rate"] < sizes.MAX_ERROR_RATE, users
        assert users["jobs_not_completed"] == 0, users
        assert users["jobs_created"] >= users["submissions"], users  # each acknowledged is a row
