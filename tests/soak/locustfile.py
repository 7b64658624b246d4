"""locust's simulated users for the load during the worker death storm (``locust_run.py``
runs locust on this file, headless, in a process of its own: locust patches the standard
library with gevent).

Each user submits a short ``timed`` job, polls it until it has ended, now and then lists
its jobs, and starts again. A job not ended within ``JOB_BOUND`` seconds is a failure
("lost"), counted with the HTTP errors in the error rate. ``CONVEYOR_TOKENS`` names a file
with one access token per line; the users take them in turn."""

from __future__ import annotations

import itertools
import os
import random
import time
from pathlib import Path

from locust import HttpUser, between, events, task

JOB_BOUND = 60.0
"""Seconds a submitted job may take to end (a killed worker's job runs again within 60 s)."""

POLL_EVERY = 0.5
ENDED = {"completed", "failed", "canceled"}

TOKENS = itertools.cycle(Path(os.environ["CONVEYOR_TOKENS"]).read_text().split())


class Submitter(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(TOKENS)}"

    @task(5)
    def submit_and_follow(self) -> None:
        body = {"type": "timed", "payload": {"duration_seconds": random.uniform(0, 0.05)}}
        response = self.client.post("/api/jobs", json=body)
        if not response.ok:
            return  # locust counted the failure
        job_id = response.json()["id"]
        began = time.monotonic()
        while time.monotonic() - began < JOB_BOUND:
            time.sleep(POLL_EVERY)  # gevent's sleep: the user's own polling pace
            poll = self.client.get(f"/api/jobs/{job_id}", name="/api/jobs/[id]")
            if poll.ok and poll.json()["status"] in ENDED:
                self._job_ended(poll.json()["status"] == "completed", began)
                return
        self._job_ended(False, began)

    @task(1)
    def list_jobs(self) -> None:
        self.client.get("/api/jobs?per_page=20")

    def _job_ended(self, completed: bool, began: float) -> None:
        """Count the job as a request of its own: failed if it did not complete in time."""
        events.request.fire(
            request_type="JOB", name="completed", response_time=(time.monotonic() - began) * 1000,
            response_length=0, context={},
            exception=None if completed else AssertionError(f"not completed in {JOB_BOUND} s"),
        )  # fmt: skip
