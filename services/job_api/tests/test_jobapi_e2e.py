"""Submit through the API, run on real worker processes, read the outcome through the API."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import png, timed
from PIL import Image
from rq import Queue

from conveyor_core import notifications
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet


def _redis(app: Flask) -> redis.Redis:
    return redis.Redis.from_url(app.config["REDIS_URL"])


def _finished(client: FlaskClient, headers: dict[str, str], job_id: str) -> Callable[[], Any]:
    def check() -> Any:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).get_json()
        return job if job["status"] in ("completed", "failed", "canceled") else None

    return check


def test_timed_job_completes(
    client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(1)
    headers = auth(1)
    created = client.post("/api/jobs", json=timed(0.3), headers=headers)
    assert created.status_code == 201, created.get_json()
    job = wait_for(_finished(client, headers, created.get_json()["id"]), what="job to finish")
    assert job["status"] == "completed", workers.logs()
    assert job["result"]["elapsed_seconds"] >= 0.3
    assert job["attempts"] == 1
    assert job["progress"]["percent"] == 100.0
    assert job["started_at"] and job["finished_at"]
    assert job["time_spent_seconds"] >= 0.3


def test_image_is_resized_and_grayscaled(
    client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(1)
    headers = auth(1)
    operations = [{"op": "resize", "width": 32, "height": 20}, {"op": "grayscale"}]
    body = {"type": "image", "payload": {"image": png(64, 48), "operations": operations}}
    created = client.post("/api/jobs", json=body, headers=headers).get_json()
    job = wait_for(_finished(client, headers, created["id"]), what="image job")
    assert job["status"] == "completed", workers.logs()
    assert job["artifact"]["media_type"] == "image/png"
    download = client.get(f"/api/jobs/{job['id']}/result", headers=headers)
    image = Image.open(io.BytesIO(download.data))
    download.close()
    assert (image.size, image.mode, image.format) == ((32, 20), "L", "PNG")


def test_export_csv_holds_only_the_callers_jobs(
    app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    later = timed(0, delay_seconds=600)
    mine = [
        client.post("/api/jobs", json=later, headers=auth(1)).get_json()["id"] for _ in range(3)
    ]
    client.post("/api/jobs", json=timed(0, delay_seconds=600), headers=auth(2))
    workers.start(1)
    body = {"type": "export", "payload": {"dataset": "jobs", "format": "csv"}}
    created = client.post("/api/jobs", json=body, headers=auth(1)).get_json()
    job = wait_for(_finished(client, auth(1), created["id"]), what="export job")
    assert job["status"] == "completed", workers.logs()
    assert job["result"] == {"dataset": "jobs", "format": "csv", "rows": 3}
    download = client.get(f"/api/jobs/{job['id']}/result", headers=auth(1))
    rows = list(csv.DictReader(io.StringIO(download.data.decode())))
    download.close()
    assert sorted(row["id"] for row in rows) == sorted(mine)
    assert {row["status"] for row in rows} == {"scheduled"}


def test_email_job_hands_the_message_to_the_notifier(
    app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(1)
    body = {"type": "email", "payload": {"to": "user1@example.com", "subject": "Hi", "body": "Yo"}}
    created = client.post("/api/jobs", json=body, headers=auth(1)).get_json()
    job = wait_for(_finished(client, auth(1), created["id"]), what="email job")
    assert job["status"] == "completed", workers.logs()
    (delivery,) = Queue(notifications.QUEUE, connection=_redis(app)).jobs
    assert delivery.func_name == notifications.TASK
    assert delivery.kwargs["to"] == "user1@example.com"
    assert delivery.kwargs["key"] == f"job-email:{job['id']}"
    assert delivery.kwargs["template"] == notifications.MESSAGE
    assert delivery.kwargs["context"] == {"subject": "Hi", "body": "Yo"}


def test_notify_email_tells_the_owner_when_the_job_ends(
    app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(1)
    created = client.post("/api/jobs", json=timed(0, notify_email=True), headers=auth(1)).get_json()
    job = wait_for(_finished(client, auth(1), created["id"]), what="job")
    (delivery,) = wait_for(lambda: Queue(notifications.QUEUE, connection=_redis(app)).jobs)
    assert delivery.kwargs["template"] == notifications.JOB_FINISHED
    assert delivery.kwargs["to"] == "user1@example.com"
    assert delivery.kwargs["context"]["job_id"] == job["id"]
    assert delivery.kwargs["context"]["status"] == "completed"


CRASH_AFTER_COMMIT = """
import json, os, signal, sys
from job_api import create_app, submission
config, token, body = json.loads(sys.argv[1])
app = create_app(config)
# Die the moment the rows are committed, before anything reaches Redis.
submission.dispatch_accepted = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
app.test_client().post("/api/jobs", json=body, headers={"Authorization": "Bearer " + token})
"""


def test_process_killed_between_commit_and_enqueue_loses_nothing(
    app: Flask, client: FlaskClient, make_token: Callable[..., str], workers: WorkerFleet,
    count_jobs: Callable[[], int],
) -> None:  # fmt: skip
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL",
              "JWT_PUBLIC_KEY", "ARTIFACTS_DIR")}  # fmt: skip
    config["LOG_DIR"] = None
    argument = json.dumps([config, make_token(1), timed(0)])
    crashed = subprocess.run([sys.executable, "-c", CRASH_AFTER_COMMIT, argument], timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    assert count_jobs() == 1
    assert Queue("user.1.normal", connection=_redis(app)).count == 0
    headers = {"Authorization": f"Bearer {make_token(1)}"}
    (job,) = client.get("/api/jobs", headers=headers).get_json()["items"]
    assert job["status"] == "queued"
    workers.start(1)
    done = wait_for(_finished(client, headers, job["id"]), what="recovered job")
    assert done["status"] == "completed", workers.logs()


def test_batch_of_1000_all_complete(
    app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]], workers: WorkerFleet
) -> None:
    workers.start(2, wait=False)
    response = client.post("/api/jobs/batch", json={"jobs": [timed(0)] * 1000}, headers=auth(1))
    assert response.status_code == 201

    def all_completed() -> bool:
        page = client.get("/api/jobs/status/completed?per_page=1", headers=auth(1)).get_json()
        return bool(page["total"] == 1000)

    wait_for(all_completed, timeout=180, interval=0.5, what="1000 jobs to complete")
