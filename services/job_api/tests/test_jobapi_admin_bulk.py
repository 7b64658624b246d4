"""POST /api/admin/jobs/retry and /cancel: bulk actions over every user's jobs, admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, timed

from conveyor_core.jobs import store
from job_api.extensions import db

Auth = Callable[..., dict[str, str]]


def _submit(client: FlaskClient, auth: Auth, user_id: int, **fields: Any) -> str:
    reply = client.post("/api/jobs", json=timed(0, max_retries=0, **fields), headers=auth(user_id))
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["id"])


def _status(app: Flask, job_id: str) -> str:
    with app.app_context():
        job = store.fetch(db.session, job_id)
        assert job is not None
        return job.status


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_a_user_is_refused(client: FlaskClient, auth: Auth, action: str) -> None:
    reply = client.post(f"/api/admin/jobs/{action}", json={}, headers=auth(2))
    assert reply.status_code == 403
    assert reply.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "body", [{"type": "nope"}, {"user_id": 0}, {"user_id": "x"}, {"status": "failed"}, []]
)
def test_a_bad_filter_is_a_422(client: FlaskClient, auth: Auth, body: Any) -> None:
    reply = client.post("/api/admin/jobs/retry", json=body, headers=auth(1, role="admin"))
    assert reply.status_code == 422


def test_retry_queues_the_failed_jobs_of_every_user(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    failed = [_submit(client, auth, user) for user in (2, 3)]
    for job_id in failed:
        finish(app, job_id, "failed")
    done = _submit(client, auth, 2)
    finish(app, done, "completed")
    reply = client.post("/api/admin/jobs/retry", json={}, headers=auth(1, role="admin"))
    assert reply.status_code == 200
    assert sorted(reply.get_json()["job_ids"]) == sorted(failed)
    assert [_status(app, job_id) for job_id in failed] == ["queued", "queued"]
    assert _status(app, done) == "completed"


def test_retry_keeps_to_the_filter(app: Flask, client: FlaskClient, auth: Auth) -> None:
    mine, theirs = _submit(client, auth, 2), _submit(client, auth, 3)
    for job_id in (mine, theirs):
        finish(app, job_id, "failed")
    reply = client.post("/api/admin/jobs/retry", json={"user_id": 2, "type": "timed"},
                        headers=auth(1, role="admin"))  # fmt: skip
    assert reply.get_json()["changed"] == 1
    assert (_status(app, mine), _status(app, theirs)) == ("queued", "failed")


def test_cancel_takes_queued_jobs_only(app: Flask, client: FlaskClient, auth: Auth) -> None:
    queued = [_submit(client, auth, user) for user in (2, 3)]
    running = _submit(client, auth, 2)
    finish(app, running, "running")
    reply = client.post("/api/admin/jobs/cancel", json={}, headers=auth(1, role="admin"))
    assert reply.status_code == 200
    assert sorted(reply.get_json()["job_ids"]) == sorted(queued)
    assert [_status(app, job_id) for job_id in queued] == ["canceled", "canceled"]
    assert _status(app, running) == "running"


def test_cancel_keeps_to_the_type(app: Flask, client: FlaskClient, auth: Auth) -> None:
    timed_job = _submit(client, auth, 2)
    reply = client.post("/api/admin/jobs/cancel", json={"type": "export"},
                        headers=auth(1, role="admin"))  # fmt: skip
    assert reply.get_json() == {"changed": 0, "job_ids": [], "more": False}
    assert _status(app, timed_job) == "queued"
