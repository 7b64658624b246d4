"""Owners see their own jobs; another user's job is a 404 on every route; admins see all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, timed

Auth = Callable[..., dict[str, str]]

ROUTES = [
    ("get", "/api/jobs/{id}"),
    ("delete", "/api/jobs/{id}"),
    ("post", "/api/jobs/{id}/cancel"),
    ("post", "/api/jobs/{id}/retry"),
    ("get", "/api/jobs/{id}/result"),
]


@pytest.mark.parametrize("status", ["queued", "completed"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_users_job_is_404(
    app: Flask, client: FlaskClient, auth: Auth, method: str, path: str, status: str
) -> None:
    job = client.post("/api/jobs", json=timed(0), headers=auth(1)).get_json()
    if status == "completed":
        finish(app, job["id"], artifact=b"secret")
    response = getattr(client, method)(path.format(id=job["id"]), headers=auth(2))
    assert response.status_code == 404
    assert response.get_json()["detail"] == "Job not found."
    assert client.get(f"/api/jobs/{job['id']}", headers=auth(1)).get_json()["status"] == status


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_unknown_job_is_404(client: FlaskClient, auth: Auth, method: str, path: str) -> None:
    response = getattr(client, method)(path.format(id="0" * 36), headers=auth(1))
    assert response.status_code == 404


# PostgreSQL refuses a NUL byte in a string (a 500 if it reached SQL); "\n" after a real
# id would pass a regex anchored with "$"; uppercase is not how ids are written.
NOT_IDS = ["a%00b", "0" * 37, "8c5e7f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00%0A",
           "8C5E7F0A-1B2C-4D3E-8F4A-5B6C7D8E9F00"]  # fmt: skip


@pytest.mark.parametrize("job_id", NOT_IDS, ids=["nul", "long", "newline", "upper"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_what_is_no_job_id_is_404_without_sql(
    client: FlaskClient, auth: Auth, sql_statements: list[str], method: str, path: str, job_id: str
) -> None:
    response = getattr(client, method)(path.format(id=job_id), headers=auth(1))
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["detail"] == "Job not found."
    assert sql_statements == []


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("get", "/api/jobs"), ("get", "/api/queue")])
def test_every_route_needs_a_token(client: FlaskClient, method: str, path: str) -> None:
    assert getattr(client, method)(path.format(id="x")).status_code == 401


def test_lists_hold_only_the_callers_jobs(client: FlaskClient, auth: Auth) -> None:
    mine = client.post("/api/jobs", json=timed(0), headers=auth(1)).get_json()
    client.post("/api/jobs", json=timed(0), headers=auth(2))
    for path in ("/api/jobs", "/api/jobs/status/queued", "/api/jobs?user_id=2"):
        items = client.get(path, headers=auth(1)).get_json()["items"]
        assert [job["id"] for job in items] == ([mine["id"]] if "user_id" not in path else [])
    queue = client.get("/api/queue", headers=auth(1)).get_json()
    assert [job["id"] for job in queue["jobs"]] == [mine["id"]]


def test_admin_sees_every_job_and_filters_by_user(client: FlaskClient, auth: Auth) -> None:
    client.post("/api/jobs", json=timed(0), headers=auth(1))
    theirs = client.post("/api/jobs", json=timed(0), headers=auth(2)).get_json()
    admin = auth(9, role="admin")
    assert client.get("/api/jobs", headers=admin).get_json()["total"] == 2
    filtered = client.get("/api/jobs?user_id=2", headers=admin).get_json()["items"]
    assert [job["id"] for job in filtered] == [theirs["id"]]
    assert client.get(f"/api/jobs/{theirs['id']}", headers=admin).status_code == 200


def test_admin_may_cancel_another_users_job(client: FlaskClient, auth: Auth) -> None:
    theirs = client.post("/api/jobs", json=timed(0), headers=auth(2)).get_json()
    response = client.post(f"/api/jobs/{theirs['id']}/cancel", headers=auth(9, role="admin"))
    assert response.status_code == 200
