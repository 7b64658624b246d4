"""``POST /api/auth/login``: credentials, one generic failure, limits, rehashing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from users_helpers import PASSWORD, close_app

from user_service import create_app
from user_service.extensions import db
from user_service.models import User


def test_login_by_username_returns_a_token_pair(
    client: FlaskClient, signup: Callable[..., Any], jwt_keys: tuple[str, str]
) -> None:
    user = signup("alice")
    response = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    body = response.get_json()
    assert response.status_code == 200
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    claims = jwt.decode(
        body["access_token"], jwt_keys[1], algorithms=["EdDSA"], audience="conveyor"
    )
    assert (claims["sub"], claims["role"], claims["tier"]) == (str(user["id"]), "user", "free")
    assert claims["sid"] and claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900


def test_login_by_email_any_case(client: FlaskClient, signup: Callable[..., Any]) -> None:
    signup("alice")
    body = {"email": "ALICE@example.com", "password": PASSWORD}
    assert client.post("/api/auth/login", json=body).status_code == 200


def test_login_by_username_any_case(client: FlaskClient, signup: Callable[..., Any]) -> None:
    signup("alice")
    body = {"username": "Alice", "password": PASSWORD}
    assert client.post("/api/auth/login", json=body).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(
    client: FlaskClient, signup: Callable[..., Any]
) -> None:
    signup("alice")
    wrong = client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "bob", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {"password": PASSWORD},
        {"username": "alice"},
        {"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "alice", "password": "x" * 1025},
        {"username": ["alice"], "password": PASSWORD},
        {"username": "al\x00ice", "password": PASSWORD},
        {"email": "al\x00ice@example.com", "password": PASSWORD},
    ],
)
def test_malformed_login_is_422(client: FlaskClient, body: dict[str, Any]) -> None:
    assert client.post("/api/auth/login", json=body).status_code == 422


# Valid JSON, but no UTF-8 string holds a lone surrogate (argon2 and the drivers fail on it).
@pytest.mark.parametrize("body", [{"username": "alice", "password": "pass\ud800word"},
                                  {"username": "al\udfffice", "password": PASSWORD}],
                         ids=["password", "username"])  # fmt: skip
def test_login_with_a_lone_surrogate_is_400(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def fail(client: FlaskClient, username: str, address: str = "10.0.0.1") -> int:
    body = {"username": username, "password": "wrong password"}
    response = client.post("/api/auth/login", json=body, environ_base={"REMOTE_ADDR": address})
    return response.status_code


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: FlaskClient, signup: Callable[..., Any]
) -> None:
    signup("alice")
    assert [fail(client, "alice") for _ in range(5)] == [401] * 5
    body = {"username": "alice", "password": PASSWORD}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert 0 < int(response.headers["Retry-After"]) <= 900


def test_account_limit_counts_username_and_email_together(
    client: FlaskClient, signup: Callable[..., Any]
) -> None:
    signup("alice")
    for _ in range(5):
        fail(client, "alice")
    body = {"email": "alice@example.com", "password": PASSWORD}
    assert client.post("/api/auth/login", json=body).status_code == 429


def test_repeated_failures_from_one_address_are_limited(
    config: dict[str, Any], signup: Callable[..., Any], client: FlaskClient
) -> None:
    signup("alice")
    # Many accounts tried from one address: each stays under its own limit.
    statuses = [fail(client, f"user{n}", address="10.9.9.9") for n in range(21)]
    assert statuses == [401] * 20 + [429]
    body = {"username": "alice", "password": PASSWORD}
    other = client.post("/api/auth/login", json=body, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert other.status_code == 200


def test_successful_login_resets_the_account_counter(
    client: FlaskClient, signup: Callable[..., Any], login: Callable[..., Any]
) -> None:
    signup("alice")
    for _ in range(4):
        fail(client, "alice")
    login("alice")
    assert [fail(client, "alice") for _ in range(5)] == [401] * 5


def test_login_rehashes_when_argon2_parameters_change(
    app: Flask, config: dict[str, Any], signup: Callable[..., Any]
) -> None:
    signup("alice")
    with app.app_context():
        old_hash = db.session.scalars(select(User.password_hash)).one()
    stronger = create_app({**config, "ARGON2_TIME_COST": 2})
    response = stronger.test_client().post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    with stronger.app_context():
        new_hash = db.session.scalars(select(User.password_hash)).one()
    close_app(stronger)
    assert new_hash != old_hash and ",t=2," in new_hash
