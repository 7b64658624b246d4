"""Every error is a problem document; every response carries a request id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from users_helpers import PASSWORD, close_app

from user_service import create_app


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)


def test_400_for_malformed_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/users", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


def test_401_without_a_token(client: FlaskClient) -> None:
    assert_problem(client.get("/api/users/me"), 401)


def test_403_for_someone_elses_account(
    client: FlaskClient, user_session: Callable[..., Any]
) -> None:
    owner, _ = user_session("owner")
    _, headers = user_session("other")
    assert_problem(client.delete(f"/api/users/{owner['id']}", headers=headers), 403)


def test_404_for_an_unknown_route(client: FlaskClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404)


def test_405_lists_the_allowed_methods(client: FlaskClient) -> None:
    response = client.put("/api/users")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_409_for_a_taken_username(client: FlaskClient, signup: Callable[..., Any]) -> None:
    signup("alice")
    body = {"username": "alice", "email": "new@example.com", "password": PASSWORD}
    response = client.post("/api/users", json=body)
    assert_problem(response, 409)
    assert "username" in response.get_json()["errors"]


def test_422_keys_errors_by_field(client: FlaskClient) -> None:
    response = client.post("/api/users", json={"username": "x"})
    assert_problem(response, 422)
    assert set(response.get_json()["errors"]) == {"username", "email", "password"}


def test_500_hides_the_error(config: dict[str, Any]) -> None:
    app: Flask = create_app(config)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    close_app(app)


def test_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/api/users", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


def test_request_id_is_made_when_missing(client: FlaskClient) -> None:
    assert len(client.get("/healthz").headers["X-Request-ID"]) >= 16


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/docs/users/openapi.json"])
def test_service_routes_answer(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200
