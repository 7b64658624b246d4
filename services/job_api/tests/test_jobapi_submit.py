"""Submitting jobs: what is stored, what reaches Redis, and what is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import timed
from rq import Queue

from conveyor_core.jobs.keys import CONTROL_QUEUE

Auth = Callable[..., dict[str, str]]


def _queue(app: Flask, name: str) -> Queue:
    return Queue(name, connection=redis.Redis.from_url(app.config["REDIS_URL"]))


def test_submit_answers_201_with_location(client: FlaskClient, auth: Auth) -> None:
    response = client.post("/api/jobs", json=timed(1), headers=auth(1))
    assert response.status_code == 201
    job = response.get_json()
    assert response.headers["Location"] == f"/api/jobs/{job['id']}"
    assert job["status"] == "queued"
    assert job["user_id"] == 1
    assert job["priority"] == "normal"
    assert job["max_retries"] == 3
    assert job["timeout_seconds"] == 61
    assert job["queue_position"] == 1
    assert job["progress"] == {"percent": 0.0, "message": None}


def test_submit_places_each_job_in_its_owners_line(client: FlaskClient, auth: Auth) -> None:
    places = [
        client.post("/api/jobs", json=timed(0, priority=priority), headers=auth(1)).get_json()[
            "queue_position"
        ]
        for priority in ("normal", "normal", "high", "low", "normal")
    ]
    assert places == [1, 2, 1, 4, 4]  # higher priorities first; each job as it was pushed


def test_submit_leaves_the_overall_estimate_to_get(client: FlaskClient, auth: Auth) -> None:
    job = client.post("/api/jobs", json=timed(0), headers=auth(1)).get_json()
    assert job["dispatches_ahead"] is None
    assert client.get(f"/api/jobs/{job['id']}", headers=auth(1)).get_json()["dispatches_ahead"] == 0


@pytest.mark.parametrize("key", [None, "batch-key"])
def test_batch_places_every_job(client: FlaskClient, auth: Auth, key: str | None) -> None:
    headers = auth(1) if key is None else {**auth(1), "Idempotency-Key": key}
    body = {"jobs": [timed(0), timed(0, priority="high"), timed(0), timed(0, delay_seconds=60)]}
    jobs = client.post("/api/jobs/batch", json=body, headers=headers).get_json()["jobs"]
    assert [job["queue_position"] for job in jobs] == [2, 1, 3, None]


def test_submitted_job_is_committed_and_enqueued(
    app: Flask, client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    job = client.post("/api/jobs", json=timed(1, priority="high"), headers=auth(1)).get_json()
    assert count_jobs() == 1
    queue = _queue(app, "user.1.high")
    assert queue.count == 1
    assert queue.jobs[0].args == (job["id"], queue.jobs[0].id)


def test_delay_schedules_through_rq_scheduler(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job = client.post("/api/jobs", json=timed(0, delay_seconds=60), headers=auth(1)).get_json()
    assert job["status"] == "scheduled"
    assert job["scheduled_for"] is not None
    assert job["queue_position"] is None
    control = _queue(app, CONTROL_QUEUE)
    assert control.scheduled_job_registry.count == 1
    assert _queue(app, "user.1.normal").count == 0


def test_run_at_in_the_past_queues_at_once(client: FlaskClient, auth: Auth) -> None:
    body = timed(0, run_at="2000-01-01T00:00:00+00:00")
    assert client.post("/api/jobs", json=body, headers=auth(1)).get_json()["status"] == "queued"


def test_submit_needs_a_token(client: FlaskClient, count_jobs: Callable[[], int]) -> None:
    response = client.post("/api/jobs", json=timed(0))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert count_jobs() == 0


def test_email_to_own_address_is_accepted(client: FlaskClient, auth: Auth) -> None:
    body = {"type": "email", "payload": {"to": "User1@Example.com", "subject": "hi", "body": "b"}}
    assert client.post("/api/jobs", json=body, headers=auth(1)).status_code == 201


def test_email_to_someone_else_is_refused(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    body = {"type": "email", "payload": {"to": "user2@example.com", "subject": "hi", "body": "b"}}
    response = client.post("/api/jobs", json=body, headers=auth(1))
    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]["payload"]
    assert count_jobs() == 0


def test_email_without_email_claim_is_refused(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    body = {"type": "email", "payload": {"to": "user1@example.com", "subject": "hi", "body": "b"}}
    headers = {"Authorization": f"Bearer {make_token(1)}"}
    assert client.post("/api/jobs", json=body, headers=headers).status_code == 422


def test_admin_may_email_anyone(client: FlaskClient, auth: Auth) -> None:
    body = {"type": "email", "payload": {"to": "someone@example.org", "subject": "hi", "body": "b"}}
    assert client.post("/api/jobs", json=body, headers=auth(9, role="admin")).status_code == 201


def test_notify_email_needs_an_address_in_the_token(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {make_token(1)}"}
    response = client.post("/api/jobs", json=timed(0, notify_email=True), headers=headers)
    assert response.status_code == 422
    assert "notify_email" in response.get_json()["errors"]


def test_batch_of_1000_is_accepted_in_one_request(
    app: Flask, client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    response = client.post("/api/jobs/batch", json={"jobs": [timed(0)] * 1000}, headers=auth(1))
    assert response.status_code == 201
    assert len(response.get_json()["jobs"]) == 1000
    assert count_jobs() == 1000
    assert _queue(app, "user.1.normal").count == 1000


def test_batch_over_1000_is_refused(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    response = client.post("/api/jobs/batch", json={"jobs": [timed(0)] * 1001}, headers=auth(1))
    assert response.status_code == 422
    assert count_jobs() == 0


def test_batch_with_one_bad_job_creates_none(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    jobs = [timed(0), timed(0), timed(9999), timed(0)]
    response = client.post("/api/jobs/batch", json={"jobs": jobs}, headers=auth(1))
    assert response.status_code == 422
    assert "duration_seconds" in response.get_json()["errors"]["jobs"]["2"]["payload"]
    assert count_jobs() == 0


def test_batch_with_a_forbidden_email_creates_none(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    email = {"type": "email", "payload": {"to": "x@example.org", "subject": "s", "body": "b"}}
    response = client.post("/api/jobs/batch", json={"jobs": [timed(0), email]}, headers=auth(1))
    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]["jobs"]["1"]["payload"]
    assert count_jobs() == 0


def test_openapi_document_is_served(client: FlaskClient) -> None:
    document = client.get("/docs/jobs/openapi.json").get_json()
    assert "/api/jobs" in document["paths"]
    assert "/api/jobs/{job_id}/cancel" in document["paths"]
