"""A request followed through the logs: its access line, then its job's lines in the worker."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jobapi_helpers import timed

from conveyor_core import logs
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet
from job_api import create_app
from job_api.extensions import db

SHARED = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "JWT_PUBLIC_KEY", "ARTIFACTS_DIR")


@pytest.fixture
def logged(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """job-api on the test's database and Redis, logging at INFO to ``tmp_path/api-log``."""
    config = {key: app.config[key] for key in SHARED}
    other = create_app({**config, "TESTING": True, "LOG_LEVEL": "INFO",
                        "LOG_DIR": str(tmp_path / "api-log")})  # fmt: skip
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_request_id_and_user_follow_a_job_from_access_line_to_worker_lines(
    logged: Flask, tmp_path: Path, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(1, LOG_LEVEL="INFO")
    headers = {**auth(5), "X-Request-ID": "r1"}
    created = logged.test_client().post("/api/jobs", json=timed(0), headers=headers)
    assert created.status_code == 201
    job_id = created.get_json()["id"]
    logs.flush()
    api_lines = _json_lines((tmp_path / "api-log" / "job-api.log").read_text())
    (access,) = [r for r in api_lines if r.get("event") == "http.request"]
    assert (access["request_id"], access["user_id"], access["status"]) == ("r1", "5", 201)
    assert (access["method"], access["path"], access["service"]) == ("POST", "/api/jobs", "job-api")

    def worker_lines() -> list[dict[str, Any]] | None:
        lines = [r for r in _json_lines(workers.logs()) if r.get("job_id") == job_id]
        events = {r.get("event") for r in lines}
        return lines if {"job.started", "job.completed"} <= events else None

    lines = wait_for(worker_lines, what="the job's lines in the worker's output")
    for line in lines:
        assert (line["request_id"], line["user_id"], line["service"]) == ("r1", "5", "worker")
