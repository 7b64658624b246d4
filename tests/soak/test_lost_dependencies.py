"""A dependency that is gone: the APIs answer 503 with Retry-After, never 500 and never a
hang, while PostgreSQL or Redis cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import service_apps
from flask import Flask

import job_api
import user_service
from conveyor_testing import free_port

READS = [("user-service", "/api/users/me"), ("user-service", "/api/users"),
         ("job-api", "/api/jobs"), ("job-api", "/api/queue")]  # fmt: skip
"""Signed-in reads that need the database (and Redis, for the token check)."""


@pytest.fixture
def apps_without_database(
    redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[dict[str, Flask]]:
    """Both APIs pointed at a PostgreSQL port where nothing listens."""
    gone = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/conveyor"
    made = {
        "user-service": user_service.create_app(
            service_apps.config(gone, redis_url, jwt_keys, tmp_path)
        ),
        "job-api": job_api.create_app(service_apps.config(gone, redis_url, jwt_keys, tmp_path)),
    }
    for app in made.values():
        app.config["TESTING"] = False  # errors reach the handlers, as in production
    yield made


@pytest.mark.parametrize(("service", "path"), READS)
def test_an_unreachable_database_is_a_503_with_retry_after(
    apps_without_database: dict[str, Flask], make_token: object, service: str, path: str
) -> None:
    token = make_token(7)  # type: ignore[operator]
    client = apps_without_database[service].test_client()
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"].isdigit()
    assert response.content_type == "application/problem+json"
