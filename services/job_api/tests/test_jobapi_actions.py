"""Cancel, retry, delete, result download and the queue view, driven through the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, png, timed
from rq import Queue
from rq.job import Job as RQJob
from sqlalchemy import event
from werkzeug.test import TestResponse

from conveyor_core.jobs import store
from conveyor_core.jobs.keys import CANCEL_KEY
from conveyor_core.jobs.models import JobInput
from conveyor_core.jobs.reconcile import reconcile
from job_api.extensions import db
from job_api.resources.queue.routes import SHOWN_JOBS

Auth = Callable[..., dict[str, str]]


def _redis(app: Flask) -> redis.Redis:
    return redis.Redis.from_url(app.config["REDIS_URL"])


def _submit(client: FlaskClient, auth: Auth, **fields: object) -> dict[str, object]:
    return client.post("/api/jobs", json=timed(0, **fields), headers=auth(1)).get_json()


def test_cancel_queued_is_immediate_and_leaves_the_queue(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job = _submit(client, auth)
    response = client.post(f"/api/jobs/{job['id']}/cancel", headers=auth(1))
    assert response.status_code == 200
    assert response.get_json()["status"] == "canceled"
    assert response.get_json()["finished_at"] is not None
    assert Queue("user.1.normal", connection=_redis(app)).count == 0


def test_cancel_scheduled_is_immediate(client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth, delay_seconds=60)
    response = client.post(f"/api/jobs/{job['id']}/cancel", headers=auth(1))
    assert response.get_json()["status"] == "canceled"


def test_cancel_running_asks_the_worker_to_stop(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "running")
    response = client.post(f"/api/jobs/{job['id']}/cancel", headers=auth(1))
    assert response.status_code == 202
    body = response.get_json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)
    with app.app_context():
        run_id = db.session.execute(db.text("SELECT run_id FROM jobs")).scalar_one()
    assert _redis(app).exists(CANCEL_KEY.format(run_id=run_id))


def test_cancel_finished_is_409(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "completed")
    assert client.post(f"/api/jobs/{job['id']}/cancel", headers=auth(1)).status_code == 409


def test_retry_failed_queues_a_new_run(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "failed")
    response = client.post(f"/api/jobs/{job['id']}/retry", headers=auth(1))
    assert response.status_code == 202
    body = response.get_json()
    assert (body["status"], body["error"], body["attempts"]) == ("queued", None, 1)
    queue = Queue("user.1.normal", connection=_redis(app))
    with app.app_context():
        retried = store.fetch(db.session, str(job["id"]))
        assert retried is not None
        assert queue.job_ids == [retried.run_id]  # only the new run waits in the owner's line


def test_retry_queued_is_409(client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    assert client.post(f"/api/jobs/{job['id']}/retry", headers=auth(1)).status_code == 409


def test_delete_unfinished_is_409(client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    assert client.delete(f"/api/jobs/{job['id']}", headers=auth(1)).status_code == 409
    assert client.get(f"/api/jobs/{job['id']}", headers=auth(1)).status_code == 200


def test_delete_removes_the_job_and_its_artifact(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "completed", artifact=b"data")
    folder = Path(app.config["ARTIFACTS_DIR"]) / str(job["id"])
    assert folder.is_dir()
    assert client.delete(f"/api/jobs/{job['id']}", headers=auth(1)).status_code == 204
    assert client.get(f"/api/jobs/{job['id']}", headers=auth(1)).status_code == 404
    assert not folder.exists()


def _image_job(client: FlaskClient, auth: Auth) -> str:
    """Submit an image job (its pixels are stored beside the row, in job_inputs)."""
    body = {"type": "image", "payload": {"image": png(), "operations": [{"op": "grayscale"}]}}
    return str(client.post("/api/jobs", json=body, headers=auth(1)).get_json()["id"])


def _stored_input(app: Flask, job_id: str) -> JobInput | None:
    with app.app_context():
        return db.session.get(JobInput, job_id)


def test_delete_removes_the_stored_input(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _image_job(client, auth)
    finish(app, job_id, "failed")
    assert _stored_input(app, job_id) is not None
    assert client.delete(f"/api/jobs/{job_id}", headers=auth(1)).status_code == 204
    assert _stored_input(app, job_id) is None  # ON DELETE CASCADE, SQLite included


def _delete_losing_to(
    app: Flask, rival: FlaskClient, client: FlaskClient, auth: Auth, job_id: str, action: str
) -> TestResponse:
    """DELETE ``job_id`` while ``rival`` (another job-api) makes ``action`` (``"post
    /retry"``, ``"delete "``) on it, which must succeed, after DELETE has read the job and
    before its ``DELETE FROM jobs``. The hook only picks the moment; nothing is faked.
    SQLite's ``BEGIN IMMEDIATE`` serialises the two requests: there is no race to lose."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises the two requests: no race to lose")
    method, suffix = action.split(" ")
    statuses: list[int] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("DELETE FROM jobs") and not statuses:
            answer = getattr(rival, method)(f"/api/jobs/{job_id}{suffix}", headers=auth(1))
            statuses.append(answer.status_code)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hook)
    try:
        response = client.delete(f"/api/jobs/{job_id}", headers=auth(1))
    finally:
        event.remove(engine, "before_cursor_execute", hook)
    assert statuses and statuses[0] < 300, f"the rival request did not succeed: {statuses}"
    return response


def test_delete_that_loses_to_a_retry_is_409_and_keeps_the_input(
    app: Flask, uncached: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _image_job(client, auth)
    finish(app, job_id, "failed")
    response = _delete_losing_to(app, uncached.test_client(), client, auth, job_id, "post /retry")
    assert response.status_code == 409, response.get_json()
    assert client.get(f"/api/jobs/{job_id}", headers=auth(1)).get_json()["status"] == "queued"
    assert _stored_input(app, job_id) is not None


def test_delete_that_loses_to_another_delete_is_404(
    app: Flask, uncached: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = str(_submit(client, auth)["id"])
    finish(app, job_id, "completed", artifact=b"data")
    response = _delete_losing_to(app, uncached.test_client(), client, auth, job_id, "delete ")
    assert response.status_code == 404, response.get_json()


def test_result_downloads_the_artifact(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "completed", artifact=b"hello")
    response = client.get(f"/api/jobs/{job['id']}/result", headers=auth(1))
    assert response.status_code == 200
    assert response.data == b"hello"
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()


def test_result_before_completion_is_409(client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    assert client.get(f"/api/jobs/{job['id']}/result", headers=auth(1)).status_code == 409


def test_result_without_artifact_is_404(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    finish(app, str(job["id"]), "completed")
    assert client.get(f"/api/jobs/{job['id']}/result", headers=auth(1)).status_code == 404


def test_user_queue_view_shows_positions(app: Flask, client: FlaskClient, auth: Auth) -> None:
    first, second = _submit(client, auth), _submit(client, auth, priority="high")
    running = _submit(client, auth)
    finish(app, str(running["id"]), "running")
    view = client.get("/api/queue", headers=auth(1)).get_json()
    assert [(j["id"], j["queue_position"]) for j in view["jobs"]] == [
        (running["id"], None), (second["id"], 1), (first["id"], 2)
    ]  # fmt: skip
    assert view["totals"]["queued"] == 2 and view["totals"]["running"] == 1


def test_queue_view_lists_live_jobs_before_a_full_page_of_scheduled_ones(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    later = [timed(0, delay_seconds=3600) for _ in range(SHOWN_JOBS)]
    assert client.post("/api/jobs/batch", json={"jobs": later}, headers=auth(1)).status_code == 201
    queued, running = _submit(client, auth), _submit(client, auth)
    finish(app, str(running["id"]), "running")
    view = client.get("/api/queue", headers=auth(1)).get_json()
    assert [job["id"] for job in view["jobs"][:2]] == [running["id"], queued["id"]]
    assert len(view["jobs"]) == SHOWN_JOBS


def test_admin_queue_view_has_totals(client: FlaskClient, auth: Auth) -> None:
    _submit(client, auth)
    view = client.get("/api/queue", headers=auth(9, role="admin")).get_json()
    assert view["queues"]["user.1.normal"]["queued"] == 1
    assert view["statuses"]["queued"] == 1
    assert view["workers"] == []


def test_reconcile_enqueues_jobs_redis_lost(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = _submit(client, auth)
    connection = _redis(app)
    connection.flushall()  # Redis lost everything after the commit
    with app.app_context():
        report = reconcile(lambda: db.session, connection, grace=0, lease=5)
    assert report.enqueued == [job["id"]]
    (run,) = Queue("user.1.normal", connection=connection).jobs
    assert run.args[0] == job["id"]
    assert RQJob.exists(run.id, connection=connection)


def test_metrics_report_jobs_per_status(client: FlaskClient, auth: Auth) -> None:
    _submit(client, auth)
    _submit(client, auth)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'conveyor_jobs{status="queued"} 2.0' in text
    assert 'conveyor_jobs{status="running"} 0.0' in text
    assert "conveyor_fair_active_users 1.0" in text
