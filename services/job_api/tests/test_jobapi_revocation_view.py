"""Redis lost its data: job-api, which has no record of revocations, trusts no token until
user-service has rebuilt Redis's view of them (503 + Retry-After meanwhile, never a 200)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import timed

from conveyor_web.revocation import REVOKED_SESSION_KEY, mark_built

Auth = Callable[..., dict[str, str]]


def _redis(app: Flask) -> redis.Redis:
    return redis.Redis.from_url(app.config["REDIS_URL"])


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/jobs"), ("post", "/api/jobs"), ("get", "/api/queue"), ("get", "/api/events")],
)
def test_every_token_is_refused_until_the_view_is_rebuilt(
    app: Flask, client: FlaskClient, auth: Auth, method: str, path: str
) -> None:
    _redis(app).flushall()
    response = getattr(client, method)(path, json=timed(0), headers=auth(1))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.mimetype == "application/problem+json"


def test_no_job_is_taken_while_the_view_is_not_built(
    app: Flask, client: FlaskClient, auth: Auth, count_jobs: Callable[[], int]
) -> None:
    _redis(app).flushall()
    client.post("/api/jobs", json=timed(0), headers=auth(1))
    assert count_jobs() == 0


def test_once_rebuilt_a_revoked_session_is_401_and_a_live_one_works(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    connection = _redis(app)
    logged_out, live = auth(1, sid="gone"), auth(1, sid="live")
    connection.set(REVOKED_SESSION_KEY.format("gone"), 1)
    connection.flushall()
    assert client.get("/api/jobs", headers=logged_out).status_code == 503
    # What user-service's rebuild does: the record back in Redis, then the marker.
    connection.set(REVOKED_SESSION_KEY.format("gone"), 1)
    mark_built(connection, 1)
    assert client.get("/api/jobs", headers=logged_out).status_code == 401
    assert client.get("/api/jobs", headers=live).status_code == 200
