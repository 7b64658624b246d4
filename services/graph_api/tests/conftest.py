"""Fixtures: the REST services running for real, the graph API, users signed in through REST."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from graph_api import create_app
from graph_stack import ADMIN_PASSWORD, CountingTransport, services

from conveyor_testing.redis_server import RedisServer

PASSWORD = ADMIN_PASSWORD


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def rest(
    request: pytest.FixtureRequest,
    redis_server: RedisServer,
    jwt_keys: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """user-service and job-api, served by gunicorn on free ports, once per SQL backend."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if request.param == "postgresql" and not server_url:
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not skip")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp(f"rest-{request.param}")
    with services(request.param, server_url, redis_server.url, jwt_keys, tmp) as running:
        yield running


@pytest.fixture(scope="session")
def counting(rest: dict[str, Any]) -> CountingTransport:
    """The graph's HTTP transport to one backend's services, counting the calls it sends."""
    return CountingTransport()


@pytest.fixture
def transport(counting: CountingTransport) -> CountingTransport:
    """The counting transport, with no calls yet in this test."""
    counting.calls.clear()
    return counting


@pytest.fixture(scope="session")
def graph_app(
    rest: dict[str, Any],
    redis_server: RedisServer,
    jwt_keys: tuple[str, str],
    counting: CountingTransport,
) -> Flask:
    """The graph API over one backend's services, built once (it keeps no state)."""
    return create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_server.url,
            "JWT_PUBLIC_KEY": jwt_keys[1],
            "LOG_DIR": None,
            "USER_SERVICE_URL": rest["USER_SERVICE_URL"],
            "JOB_API_URL": rest["JOB_API_URL"],
            "GRAPH_HTTP_TRANSPORT": counting,
        }
    )


@pytest.fixture
def app(graph_app: Flask, transport: CountingTransport) -> Flask:
    return graph_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def gql(client: FlaskClient) -> Callable[..., Any]:
    """POST one operation; return the response (``.get_json()`` for the body)."""

    def send(
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        **headers: str,
    ) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        return client.post("/graphql", json=body, headers=headers)

    return send


class Rest:
    """The REST APIs, called directly (to set up data and to compare answers)."""

    def __init__(self, urls: dict[str, Any]) -> None:
        self.urls = urls

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        base = (
            self.urls["JOB_API_URL"]
            if path.startswith(("/api/jobs", "/api/schedules"))
            else self.urls["USER_SERVICE_URL"]
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, base + path, headers=headers, timeout=30, **kwargs)

    def signup(self, prefix: str = "u") -> dict[str, Any]:
        """Sign a new user up and log in; return the user with its ``token``."""
        name = f"{prefix}{uuid.uuid4().hex[:10]}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        created = self.call("POST", "/api/users", json=body)
        assert created.status_code == 201, created.text
        login = self.call("POST", "/api/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return {**created.json(), "token": login.json()["access_token"]}

    def login(self, username: str) -> dict[str, Any]:
        """Log ``username`` in; return the user (``me``) with its ``token``."""
        login = self.call(
            "POST", "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        return {**self.call("GET", "/api/users/me", token).json(), "token": token}

    def submit(self, token: str, **changes: Any) -> dict[str, Any]:
        """A timed job held back 10 minutes, so it stays scheduled (no worker needed)."""
        body = {"type": "timed", "payload": {"duration_seconds": 0}, "delay_seconds": 600}
        created = self.call("POST", "/api/jobs", token, json={**body, **changes})
        assert created.status_code == 201, created.text
        return dict(created.json())


@pytest.fixture
def api(rest: dict[str, Any]) -> Rest:
    return Rest(rest)


@pytest.fixture(scope="session")
def root(rest: dict[str, Any]) -> dict[str, Any]:
    """The admin of one backend's services (made once, as they start), logged in."""
    return Rest(rest).login(rest["admin"])


@pytest.fixture
def alice(api: Rest) -> dict[str, Any]:
    return api.signup("alice")


@pytest.fixture
def bob(api: Rest) -> dict[str, Any]:
    return api.signup("bob")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]
