"""``POST /api/users``: validation, normalisation, uniqueness, the welcome email."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import func, select

from conveyor_testing.sign_up import INVALID_SIGN_UPS
from user_service.extensions import db
from user_service.models import User

VALID = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}


def count_users(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize(("changes", "field"), INVALID_SIGN_UPS)
def test_invalid_signup_is_422_and_stores_nothing(
    app: Flask, client: FlaskClient, changes: dict[str, Any], field: str
) -> None:
    body = {**VALID, **changes}
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/api/users", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert count_users(app) == 0


@pytest.mark.parametrize("body", [{}, [], "alice", 42])
def test_signup_body_that_is_not_an_object_is_422(client: FlaskClient, body: Any) -> None:
    response = client.post("/api/users", json=body)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "changes",
    [
        {"username": "abc"},
        {"username": "a" * 32},
        {"username": "a.b_c-9"},
        {"password": "abcdefg1"},
        {"password": "ab" * 64},
    ],
)
def test_signup_accepts_boundary_values(client: FlaskClient, changes: dict[str, str]) -> None:
    response = client.post("/api/users", json={**VALID, **changes})
    assert response.status_code == 201, response.get_json()


def test_signup_returns_the_user_without_secrets(client: FlaskClient) -> None:
    response = client.post("/api/users", json=VALID)
    body = response.get_json()
    assert response.status_code == 201
    assert set(body) == {"id", "username", "email", "role", "tier", "created_at", "updated_at"}
    assert (body["role"], body["tier"]) == ("user", "free")
    assert response.headers["Location"].endswith(f"/api/users/{body['id']}")


def test_signup_stores_username_and_email_lower_case(app: Flask, client: FlaskClient) -> None:
    body = {**VALID, "username": "Alice", "email": "Alice@Example.COM"}
    assert client.post("/api/users", json=body).status_code == 201
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.username, user.email) == ("alice", "alice@example.com")


def test_signup_stores_an_argon2id_hash(app: Flask, client: FlaskClient) -> None:
    client.post("/api/users", json=VALID)
    with app.app_context():
        stored = db.session.scalars(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize(
    "duplicate",
    [
        {"username": "ALICE", "email": "other@example.com"},
        {"username": "other", "email": "ALICE@example.com"},
    ],
)
def test_duplicate_username_or_email_is_409_case_insensitively(
    app: Flask, client: FlaskClient, duplicate: dict[str, str]
) -> None:
    client.post("/api/users", json=VALID)
    response = client.post("/api/users", json={**VALID, **duplicate})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert count_users(app) == 1


def test_signup_enqueues_one_welcome_email(app: Flask, client: FlaskClient) -> None:
    user = client.post("/api/users", json=VALID, headers={"X-Request-ID": "req-42"}).get_json()
    jobs = Queue("notifications", connection=app.extensions["conveyor_redis"]).jobs
    assert [job.kwargs for job in jobs] == [
        {
            "key": f"welcome:{user['id']}",
            "to": "alice@example.com",
            "template": "welcome",
            "context": {"username": "alice"},
            "request_id": "req-42",
        }
    ]
