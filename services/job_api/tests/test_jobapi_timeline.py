"""GET /api/jobs/{id}/events: a job's state changes from its owner's event stream."""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, timed

from conveyor_core import streams

Auth = Callable[..., dict[str, str]]


def _submit(client: FlaskClient, auth: Auth, user_id: int = 1) -> str:
    reply = client.post("/api/jobs", json=timed(), headers=auth(user_id))
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["id"])


def _timeline(client: FlaskClient, auth: Auth, job_id: str, user_id: int = 1) -> dict:
    reply = client.get(f"/api/jobs/{job_id}/events", headers=auth(user_id))
    assert reply.status_code == 200, reply.get_json()
    return dict(reply.get_json())


def test_the_timeline_lists_the_jobs_state_changes_in_order(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _submit(client, auth)
    finish(app, job_id)
    body = _timeline(client, auth, job_id)
    assert body["items"][0]["type"] == "job.queued"
    assert body["items"][-1]["status"] == "completed"
    assert body["complete"] is True


def test_other_jobs_and_progress_are_left_out(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id, other_id = _submit(client, auth), _submit(client, auth)
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    streams.publish_progress(connection, user_id=1, job_id=job_id, job_type="timed",
                            percent=50, message=None, time_spent_seconds=1)  # fmt: skip
    types = [item["type"] for item in _timeline(client, auth, job_id)["items"]]
    assert types == ["job.queued"], (types, other_id)


def test_a_trimmed_stream_says_the_timeline_is_incomplete(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _submit(client, auth)
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    connection.delete(streams.stream_key(1))
    streams.publish(connection, 1, streams.JOB_STARTED, {"job_id": job_id, "status": "running"})
    body = _timeline(client, auth, job_id)
    assert [item["type"] for item in body["items"]] == ["job.started"]
    assert body["complete"] is False


def test_another_users_job_is_a_404(client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth, user_id=1)
    reply = client.get(f"/api/jobs/{job_id}/events", headers=auth(2))
    assert reply.status_code == 404
    assert reply.content_type == "application/problem+json"
