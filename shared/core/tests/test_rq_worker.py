"""``PromptSimpleWorker`` as a process on a real Redis: RQ's scheduler runs inside it, and
SIGTERM stops both, releasing the scheduler's lock."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from conveyor_testing import DEADLINE, wait_for
from conveyor_testing.workers import kill_group

QUEUE = "rq-worker.test"

WORKER = f"""
import sys
from rq import Queue
from conveyor_core.redis_connection import connect
from conveyor_core.rq_worker import PromptSimpleWorker

connection = connect(sys.argv[1])
queue = Queue({QUEUE!r}, connection=connection)
PromptSimpleWorker([queue], connection=connection).work(with_scheduler=True)
"""

STOP_DEADLINE = 10.0
"""Seconds a SIGTERMed idle worker may take to exit."""


@pytest.fixture
def worker(redis_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process with its scheduler running (killed as a group if a test fails)."""
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, redis_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    kill_group(process)
    process.wait(timeout=DEADLINE)


def _scheduler_running(connection: redis.Redis) -> bool:
    return bool(connection.keys(SCHEDULER_KEY_TEMPLATE % "*"))


def test_the_scheduler_runs_inside_the_worker_process(
    connection: redis.Redis, worker: subprocess.Popen[bytes]
) -> None:
    wait_for(lambda: _scheduler_running(connection), "the scheduler to register")
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text()
    assert children.split() == []


def test_sigterm_stops_the_worker_and_releases_the_scheduler_lock(
    connection: redis.Redis, worker: subprocess.Popen[bytes]
) -> None:
    wait_for(lambda: _scheduler_running(connection), "the scheduler to register")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=STOP_DEADLINE) == 0
    assert not connection.exists(RQScheduler.get_locking_key(QUEUE))
