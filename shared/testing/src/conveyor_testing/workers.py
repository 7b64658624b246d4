"""Real worker processes for the suites that need them (job-api's, the worker's, soak)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import redis
from rq import Worker

from conveyor_testing import wait_for

FAST_SETTINGS = {
    "JOB_LEASE_SECONDS": "2",
    "JOB_SWEEP_INTERVAL": "0.5",
    "JOB_ENQUEUE_GRACE": "1",
    "JOB_RETRY_BASE_SECONDS": "0.2",
    "JOB_RETRY_MAX_SECONDS": "1",
    "JOB_SHUTDOWN_GRACE": "10",
    "JOB_PROGRESS_INTERVAL": "0.2",
    "LOG_LEVEL": "WARNING",
}
"""Worker settings that keep process-level tests short."""


def kill_group(process: subprocess.Popen[bytes], signum: int = signal.SIGKILL) -> None:
    """Send ``signum`` to the process group ``process`` leads, unless it was already reaped:
    its pid is free again then, and a process that took it may lead a group of its own
    (PostgreSQL's backends do). Killing that group once took a PostgreSQL backend, and with
    it the server's every connection, at a soak run's end."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


class WorkerFleet:
    """``python -m worker`` processes started for one test, all stopped at the end."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **FAST_SETTINGS, **env}
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int = 1, wait: bool = True, **env: str) -> list[subprocess.Popen[bytes]]:
        """Start ``count`` workers; by default wait until they listen on their queues."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = []
        for _ in range(count):
            log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self.processes.append(process)
            started.append(process)
        if wait:
            connection = redis.Redis.from_url(self.env["REDIS_URL"])
            pids = {process.pid for process in started}
            wait_for(
                lambda: pids <= {w.pid for w in Worker.all(connection=connection)},
                timeout=30,
                what=f"{count} workers to start",
            )
            connection.close()
        return started

    def pid_of(self, worker_name: str) -> int:
        """Return the process id inside a worker name (``host.pid.suffix``)."""
        return int(worker_name.split(".")[-2])

    def logs(self) -> str:
        """Return every worker's output (to print when a test fails)."""
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL) and reap it."""
        for process in self.processes:
            kill_group(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_group(process)
                process.wait()

    def kill(self) -> None:
        """SIGKILL every worker's process group and reap it: a fixture's end, where how the
        workers stop is not under test (a graceful stop waits out a running job's grace)."""
        for process in self.processes:
            kill_group(process)
        for process in self.processes:
            process.wait()
