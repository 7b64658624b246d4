"""Fixtures: a migrated database per backend, a fresh app and clean data per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from users_helpers import PASSWORD, base_config, bearer, close_app

from conveyor_testing.redis_server import RedisServer
from user_service import create_app
from user_service.extensions import db
from user_service.models import Revocation, User


@pytest.fixture(scope="session")
def migrated_url(
    database_url: str, redis_server: RedisServer, jwt_keys: tuple[str, str]
) -> Iterator[str]:
    """Build the schema once per backend by running the real Alembic migrations."""
    app = create_app(base_config(database_url, redis_server.url, jwt_keys))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    yield database_url


@pytest.fixture
def config(migrated_url: str, redis_url: str, jwt_keys: tuple[str, str]) -> dict[str, Any]:
    """The test app's settings; a test may change them before asking for ``app``."""
    return base_config(migrated_url, redis_url, jwt_keys)


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    with app.app_context():
        db.session.execute(delete(User))
        db.session.execute(delete(Revocation))
        db.session.commit()
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def signup(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Sign a user up through the API and return the response body."""

    def make(username: str, email: str | None = None, password: str = PASSWORD) -> Any:
        body = {"username": username, "email": email or f"{username}@example.com"}
        response = client.post("/api/users", json={**body, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Log in through the API and return the token pair."""

    def make(username: str, password: str = PASSWORD) -> Any:
        response = client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def user_session(
    app: Flask, signup: Callable[..., Any], login: Callable[..., Any]
) -> Callable[..., tuple[dict[str, Any], dict[str, str]]]:
    """Sign up (an admin: through ``create-admin``) and log in; return ``(user, headers)``."""

    def make(username: str, admin: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
        email = f"{username}@example.com"
        if admin:
            args = ["create-admin", username, email, PASSWORD]
            result = app.test_cli_runner().invoke(args=args)
            assert result.exit_code == 0, result.output
        user = signup(username) if not admin else None
        pair = login(username)
        headers = bearer(pair["access_token"])
        if user is None:
            user = app.test_client().get("/api/users/me", headers=headers).get_json()
        return user, headers

    return make
