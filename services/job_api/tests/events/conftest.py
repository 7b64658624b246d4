"""Fixtures of the ``/api/events`` suites: a migrated app per test, its client, a Redis
connection, real workers, and an open stream read as Server-Sent Events."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import events_support as support
import pytest
from flask import Flask
from flask.testing import FlaskClient

from conveyor_testing.workers import WorkerFleet


@pytest.fixture
def config(database_url: str, redis_url: str, jwt_keys: tuple[str, str]) -> dict[str, Any]:
    return support.base_config(database_url, redis_url, jwt_keys)


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    """The test's own app: migrates, empties the jobs table, and drives job changes."""
    app = support.make_app(config)
    yield app
    support.close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fleet(app: Flask, tmp_path: Path) -> Iterator[WorkerFleet]:
    """Real ``python -m worker`` processes on this test's database and Redis."""
    fleet = support.worker_fleet(app, tmp_path)
    yield fleet
    fleet.kill()


@pytest.fixture
def open_stream(client: FlaskClient, make_token: Callable[..., str]) -> Callable[..., Any]:
    """Open ``GET /api/events`` as ``access_token`` (default: a token of ``user_id``)."""

    @contextmanager
    def open_(
        access_token: str | None = None, *, user_id: int = 1,
        headers: dict[str, str] | None = None, query: str = "", last_event_id: str = "",
        within: float = 45.0,
    ) -> Iterator[support.Stream]:  # fmt: skip
        sent = {**support.bearer(access_token or make_token(user_id)), **(headers or {})}
        if last_event_id:
            sent["Last-Event-ID"] = last_event_id
        response = client.get(f"/api/events{query}", headers=sent, buffered=False)
        assert response.status_code == 200, response.get_data(as_text=True)
        try:
            yield support.messages(response.response, time.monotonic() + within)
        finally:
            response.close()

    return open_
