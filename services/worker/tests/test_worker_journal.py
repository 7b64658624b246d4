"""Each state change of a job is one JSON line in the worker's output, naming the job, its
owner and the request that submitted it (real worker processes, their real stdout)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs import store
from conveyor_core.jobs.keys import CANCEL_KEY
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

INFO = {"LOG_LEVEL": "INFO"}


def _lines(workers: WorkerFleet, job_id: str) -> list[dict[str, Any]]:
    """The journal lines about ``job_id`` that the workers have written so far."""
    found = []
    for text in workers.logs().splitlines():
        if text.startswith("{"):
            record = json.loads(text)
            if record.get("job_id") == job_id and str(record.get("event", "")).startswith("job."):
                found.append(record)
    return found


def _event(workers: WorkerFleet, job_id: str, event: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        return next((r for r in _lines(workers, job_id) if r["event"] == event), None)

    return check


def _running(row: Callable[[str], Job], job_id: str) -> Callable[[], Job | None]:
    def check() -> Job | None:
        job = row(job_id)
        return job if job.status == "running" else None

    return check


ENDINGS = {
    "job.completed": ({"duration_seconds": 0.1}, {}),
    "job.retried": ({"duration_seconds": 0, "fail_attempts": 1}, {"max_retries": 1}),
    "job.failed": ({"duration_seconds": 0, "fail_attempts": 9}, {"max_retries": 0}),
    "job.timed_out": ({"duration_seconds": 30}, {"max_retries": 0, "timeout_seconds": 1}),
}


@pytest.mark.parametrize("event", sorted(ENDINGS))
def test_each_ending_is_a_line_with_the_jobs_ids_and_times(
    event: str, submit: Callable[..., Job], workers: WorkerFleet
) -> None:
    payload, fields = ENDINGS[event]
    workers.start(1, **INFO)
    job = submit(payload, user_id=7, request_id="r1", **fields)
    line = wait_for(_event(workers, job.id, event), timeout=20, what=event)
    started = _event(workers, job.id, "job.started")()
    assert started is not None, workers.logs()
    for record in (started, line):
        assert (record["user_id"], record["request_id"], record["attempt"]) == ("7", "r1", 1)
        assert record["service"] == "worker"
        assert record["queued_seconds"] >= 0
    assert line["attempt_seconds"] >= 0 and line["run_seconds"] >= line["attempt_seconds"]


@pytest.mark.parametrize(
    ("event", "field", "expected"),
    [
        ("job.retried", "error", "JobFailure: failing attempt 1 of the first 1 on purpose"),
        ("job.failed", "status", "failed"),
        ("job.timed_out", "error", "timeout: ran longer than 1s"),
        ("job.completed", "status", "completed"),
    ],
)
def test_ending_lines_say_what_happened(
    event: str, field: str, expected: str, submit: Callable[..., Job], workers: WorkerFleet
) -> None:
    payload, fields = ENDINGS[event]
    workers.start(1, **INFO)
    job = submit(payload, **fields)
    line = wait_for(_event(workers, job.id, event), timeout=20, what=event)
    assert line[field] == expected


def test_retried_line_gives_the_delay(submit: Callable[..., Job], workers: WorkerFleet) -> None:
    payload, fields = ENDINGS["job.retried"]
    workers.start(1, **INFO)
    job = submit(payload, **fields)
    line = wait_for(_event(workers, job.id, "job.retried"), timeout=20, what="the retry")
    assert 0 < line["retry_in_seconds"] <= 1  # JOB_RETRY_MAX_SECONDS in the fast settings
    second = wait_for(_event(workers, job.id, "job.completed"), timeout=20, what="the rerun")
    assert second["attempt"] == 2


def test_canceled_running_job_is_a_line(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet,
    sessions: sessionmaker[Session], connection: redis.Redis,
) -> None:  # fmt: skip
    workers.start(1, **INFO)
    job = submit({"duration_seconds": 30}, user_id=3, request_id="r3")
    running = wait_for(_running(row, job.id), what="job to run")
    with sessions() as session:
        store.cancel(session, job.id)
        session.commit()
    connection.set(CANCEL_KEY.format(run_id=running.run_id), 1)
    line = wait_for(_event(workers, job.id, "job.canceled"), timeout=15, what="the cancel")
    assert (line["user_id"], line["request_id"], line["status"]) == ("3", "r3", "canceled")


def test_job_of_a_killed_worker_is_a_recovered_line(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    workers.start(2, **INFO)
    job = submit({"duration_seconds": 3}, user_id=4, request_id="r4")
    running = wait_for(_running(row, job.id), what="job to run")
    assert running.worker_name is not None
    os.kill(workers.pid_of(running.worker_name), signal.SIGKILL)
    line = wait_for(_event(workers, job.id, "job.recovered"), timeout=30, what="the recovery")
    assert (line["user_id"], line["request_id"], line["status"]) == ("4", "r4", "queued")
    assert line["lost_worker"] == running.worker_name
    assert line["level"] == "WARNING"


def test_warning_level_writes_no_routine_lines(
    submit: Callable[..., Job], row: Callable[[str], Job], workers: WorkerFleet
) -> None:
    workers.start(1, LOG_LEVEL="WARNING")
    job = submit({"duration_seconds": 0})
    wait_for(lambda: row(job.id).status == "completed", what="job to complete")
    workers.stop()  # its log thread has written everything once it has exited
    assert _lines(workers, job.id) == []
