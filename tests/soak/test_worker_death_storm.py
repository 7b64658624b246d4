"""Worker death storm: jobs keep arriving while a random worker is SIGKILLed every few
seconds. Every job completes exactly once, nothing fails, each killed job runs again within
the bound, and every owner gets exactly one email per job."""

from __future__ import annotations

import math
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core import notifications
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

from . import report, sizes

FINISHED = ("completed", "failed", "canceled")


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


def _mail_per_job(mail_dir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in mail_dir.glob("*.eml"):
        subject = str(message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"])
        found[subject.split("#")[1].split()[0]] += 1
    return found


def _mail_settled(connection: redis.Redis, sessions: sessionmaker[Session]) -> bool:
    """No email owed, queued or being sent: what is in the sink now is all there will be."""
    queue = Queue(notifications.QUEUE, connection=connection)
    with sessions() as session:
        owed = session.scalar(select(func.count()).where(Job.email_owed.is_(True)))
    return owed == 0 and queue.count == 0 and StartedJobRegistry(queue=queue).count == 0


def test_no_job_is_lost_or_repeated_while_workers_die(
    fleet: WorkerFleet, notifier: object, submit_many: Callable[..., list[str]],
    sessions: sessionmaker[Session], mail_dir: Path, redis_url: str, database_url: str,
) -> None:  # fmt: skip
    size = sizes.storm()
    rng = random.Random(int(os.environ.get("SOAK_SEED", "2026")))
    began = time.monotonic()
    alive = fleet.start(size.workers)
    per_wave = math.ceil(size.jobs / size.min_kills)
    ids: list[str] = []
    kills = 0
    recoveries = Recoveries(sessions)
    while kills < size.min_kills:
        assert time.monotonic() - began < size.deadline, f"only {kills} kills in time"
        # The pace of the fault injection itself, not a wait for a condition.
        time.sleep(rng.uniform(*size.kill_every))
        if len(ids) < size.jobs:
            ids += submit_many(min(per_wave, size.jobs - len(ids)), longest=0.05)
        pids = {p.pid: p for p in alive if p.poll() is None}
        busy = _busy(sessions, set(pids))
        victim = pids[rng.choice(sorted(busy))] if busy else rng.choice(list(pids.values()))
        job = busy.get(victim.pid)
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        kills += 1
        if job is not None and job.worker_name:
            recoveries.watch(job.id, job.worker_name, killed_at)
        victim.wait()
        alive.remove(victim)
        alive += fleet.start(1, wait=False)
    if len(ids) < size.jobs:
        ids += submit_many(size.jobs - len(ids), longest=0.05)

    left = size.deadline - (time.monotonic() - began)
    finished = _counter(sessions, select(func.count()).where(Job.status.in_(FINISHED)))
    wait_for(lambda: finished() == len(ids), timeout=left, interval=0.5,
             what="every job to finish")  # fmt: skip
    with sessions() as session:
        statuses = Counter(session.scalars(select(Job.status)).all())
        extra = session.scalar(select(func.sum(Job.recoveries + Job.attempts - 1))) or 0
    recoveries.join()
    connection = redis.Redis.from_url(redis_url)
    wait_for(lambda: _mail_settled(connection, sessions), timeout=60, what="mail to settle")
    connection.close()
    mail = _mail_per_job(mail_dir)

    report.record(
        f"Worker death storm ({make_url(database_url).get_backend_name()})",
        jobs=len(ids), workers=size.workers, kills=kills,
        kills_mid_job=len(recoveries.threads), extra_attempts=extra,
        completed=statuses["completed"], failed=statuses["failed"],
        max_restart_seconds=round(max(recoveries.delays, default=0.0), 2),
        emails=sum(mail.values()), jobs_emailed_twice=sum(1 for n in mail.values() if n > 1),
        seconds=round(time.monotonic() - began, 1),
    )  # fmt: skip
    assert statuses == {"completed": len(ids)}, fleet.logs()[-3000:]
    assert extra <= kills
    assert len(recoveries.delays) == len(recoveries.threads)  # each one ran again in time
    assert mail == dict.fromkeys(ids, 1)
