"""Run locust headless on ``locustfile.py`` against a job-api URL and read its totals (the
worker death storm's load, ``test_worker_death_storm.py``)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conveyor_testing.api import serve

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def write_tokens(path: Path, make_token: Callable[..., str], user_ids: range) -> Path:
    """One access token per simulated user, as the locustfile reads them."""
    path.write_text("\n".join(make_token(n) for n in user_ids))
    return path


def run(url: str, tokens: Path, users: int, seconds: int) -> dict[str, int]:
    """Run locust headless for ``seconds``; return its totals (requests and failures, and
    the jobs its users followed to their end). Its CSV files go beside ``tokens``."""
    prefix = tokens.parent / "locust"
    command = [str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE),
               "--headless", "--host", url, "--users", str(users),
               "--spawn-rate", str(max(1, users // 5)), "--run-time", f"{seconds}s",
               "--stop-timeout", "65", "--csv", str(prefix), "--only-summary",
               "--loglevel", "WARNING", "--exit-code-on-error", "0"]  # fmt: skip
    finished = subprocess.run(
        command, env={**os.environ, "CONVEYOR_TOKENS": str(tokens)}, capture_output=True,
        text=True, timeout=seconds + 180,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-5000:]
    with Path(f"{prefix}_stats.csv").open() as table:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(table)}
    total = rows[("", "Aggregated")]
    none = {"Request Count": "0", "Failure Count": "0"}
    jobs = rows.get(("JOB", "completed"), none)
    submitted = rows.get(("POST", "/api/jobs"), none)
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "jobs_followed": int(jobs["Request Count"]),
        "jobs_not_completed": int(jobs["Failure Count"]),
        "submissions": int(submitted["Request Count"]) - int(submitted["Failure Count"]),
    }


class InBackground:
    """job-api served on a loopback port and locust run against it, in a thread, while the
    scenario goes on (the storm kills workers meanwhile)."""

    def __init__(self, app: Any, tokens: Path, users: int, seconds: int) -> None:
        self.app, self.tokens, self.users, self.seconds = app, tokens, users, seconds
        self.thread = threading.Thread(target=self._run)
        self.totals: dict[str, int] | None = None
        self.error: BaseException | None = None
        self.began = self.ended = 0.0

    def start(self) -> None:
        self.began = time.monotonic()
        self.thread.start()

    def running(self) -> bool:
        return self.thread.is_alive()

    def join(self) -> dict[str, int]:
        """Wait for locust to end (it has its own timeout); return its totals."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.totals is not None
        return self.totals

    def _run(self) -> None:
        try:
            with serve(self.app) as url:
                self.totals = run(url, self.tokens, self.users, self.seconds)
        except BaseException as error:  # handed to the test's thread by join()
            self.error = error
        finally:
            self.ended = time.monotonic()
