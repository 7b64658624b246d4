"""The security suite's world: user-service and job-api side by side on real Redis and a
real database per service, and a small world of three signed-in users (owner, other,
admin) whose owner holds one job in each state the routes act on, and a schedule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import service_apps
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from conveyor_core.jobs.models import Job

PASSWORD = "correct horse battery"
"""Password of every user the suite signs up."""

ROLES = ("anonymous", "owner", "other", "admin")
"""Who calls: nobody, the objects' owner, another user, an admin."""


@pytest.fixture(scope="session")
def database_urls(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """``(users database, jobs database)``: each service owns its own, as deployed."""
    with service_apps.database_pair(database_url, tmp_path_factory.mktemp("jobs")) as pair:
        yield pair


@pytest.fixture
def apps(
    database_urls: tuple[str, str], redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[tuple[Flask, Flask]]:
    """``(user-service, job-api)`` on the same Redis and key pair, each on its database."""
    with service_apps.running(database_urls, redis_url, jwt_keys, tmp_path) as pair:
        yield pair


@dataclass
class World:
    """The callers and the owner's objects every matrix row is tried against."""

    users: FlaskClient
    jobs: FlaskClient
    jobs_app: Flask
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def client_for(self, path: str) -> FlaskClient:
        return self.users if path.startswith(("/api/users", "/api/auth")) else self.jobs

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, role: str, method: str, path: str, body: Any = None) -> Any:
        """Send one request as ``role``; ``{name}`` in ``path`` is one of ``ids``."""
        url = path.format(**self.ids)
        client = self.client_for(path)
        return client.open(url, method=method, json=body, headers=self.headers(role))


def _sign_up(client: FlaskClient, name: str) -> int:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    response = client.post("/api/users", json=body)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _log_in(client: FlaskClient, name: str) -> str:
    response = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["access_token"])


def _make_admin(app: Flask, user_id: int) -> None:
    from user_service.extensions import db
    from user_service.models import User

    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(role="admin"))
        db.session.commit()


def _submit(world: World, role: str = "owner") -> str:
    body = {"type": "timed", "payload": {"duration_seconds": 60}}
    response = world.jobs.post("/api/jobs", json=body, headers=world.headers(role))
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _end(app: Flask, job_id: str, status: str, artifact: bytes | None = None) -> None:
    """Put a submitted job straight into a finished state (no worker runs in this suite)."""
    from job_api.extensions import db

    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": status, "started_at": now, "finished_at": now}
    if artifact is not None:
        folder = Path(app.config["ARTIFACTS_DIR"]) / job_id
        folder.mkdir(parents=True)
        (folder / "out.csv").write_bytes(artifact)
        values |= {"artifact_name": "out.csv", "artifact_type": "text/csv",
                   "artifact_size": len(artifact)}  # fmt: skip
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()


@pytest.fixture
def world(apps: tuple[Flask, Flask]) -> World:
    users_app, jobs_app = apps
    world = World(users_app.test_client(), jobs_app.test_client(), jobs_app)
    for role in ROLES[1:]:
        world.ids[f"{role}_id"] = _sign_up(world.users, role)
    _make_admin(users_app, world.ids["admin_id"])
    for role in ROLES[1:]:
        world.tokens[role] = _log_in(world.users, role)
    world.ids["queued"] = _submit(world)
    world.ids["failed"] = _submit(world)
    _end(jobs_app, world.ids["failed"], "failed")
    world.ids["completed"] = _submit(world)
    _end(jobs_app, world.ids["completed"], "completed", artifact=b"id,status\n")
    hourly = {"name": "hourly", "type": "timed", "payload": {"duration_seconds": 1},
              "interval_seconds": 3600}  # fmt: skip
    created = world.jobs.post("/api/schedules", json=hourly, headers=world.headers("owner"))
    world.ids["schedule"] = created.get_json()["id"]
    world.ids["missing"] = str(uuid.uuid4())
    return world
