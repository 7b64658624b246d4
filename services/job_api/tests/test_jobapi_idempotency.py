"""``Idempotency-Key``: one key, one effect, per user, for 24 hours."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import timedelta

import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import timed
from sqlalchemy import update

from conveyor_core.jobs.keys import IDEMPOTENCY_LOCK_KEY
from conveyor_core.jobs.models import utcnow
from job_api.extensions import db
from job_api.models import IdempotencyKey

Auth = Callable[..., dict[str, str]]


def _with_key(headers: dict[str, str], key: str = "key-1") -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_same_key_and_body_returns_first_response(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1))
    first = client.post("/api/jobs", json=timed(1), headers=headers)
    second = client.post("/api/jobs", json=timed(1), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_jobs() == 1


def test_same_key_other_body_is_422(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1))
    client.post("/api/jobs", json=timed(1), headers=headers)
    response = client.post("/api/jobs", json=timed(2), headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert count_jobs() == 1


def test_keys_are_per_user(client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]) -> None:
    client.post("/api/jobs", json=timed(1), headers=_with_key(auth(1)))
    response = client.post("/api/jobs", json=timed(1), headers=_with_key(auth(2)))
    assert response.status_code == 201
    assert count_jobs() == 2


def test_duplicate_in_flight_is_409(
    app: Flask, client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    # Another request with this key holds the in-flight lock (as the handler sets it).
    digest = hashlib.sha256(b"key-1").hexdigest()
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    connection.set(IDEMPOTENCY_LOCK_KEY.format(user_id=1, digest=digest), "other", ex=30)
    response = client.post("/api/jobs", json=timed(1), headers=_with_key(auth(1)))
    assert response.status_code == 409
    assert count_jobs() == 0


def test_key_expires_after_24_hours(
    app: Flask, client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1))
    first = client.post("/api/jobs", json=timed(1), headers=headers).get_json()
    with app.app_context():
        db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    second = client.post("/api/jobs", json=timed(1), headers=headers)
    assert second.status_code == 201
    assert second.get_json()["id"] != first["id"]
    assert count_jobs() == 2


def test_invalid_request_does_not_spend_the_key(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1))
    assert client.post("/api/jobs", json=timed(-1), headers=headers).status_code == 422
    assert client.post("/api/jobs", json=timed(1), headers=headers).status_code == 201
    assert count_jobs() == 1


def test_bad_key_is_422(client: FlaskClient, auth: Auth) -> None:
    response = client.post("/api/jobs", json=timed(1), headers=_with_key(auth(1), "x" * 256))
    assert response.status_code == 422


def test_batch_honours_the_key(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1))
    first = client.post("/api/jobs/batch", json={"jobs": [timed(0)] * 3}, headers=headers)
    second = client.post("/api/jobs/batch", json={"jobs": [timed(0)] * 3}, headers=headers)
    assert second.get_json() == first.get_json()
    assert count_jobs() == 3


def test_twenty_concurrent_identical_requests_create_one_job(
    app: Flask, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    headers = _with_key(auth(1), "concurrent")
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict[str, object]]] = []

    def submit() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post("/api/jobs", json=timed(1), headers=headers)
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 20
    assert {status for status, _ in answers} <= {201, 409}
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1
    assert count_jobs() == 1
