"""Ended sessions stay ended when Redis loses its data, at user-service and at job-api; a tier
change ends no session and reaches the fair dispatcher, whatever the token's claim says."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from user_service import revocations

from .world import _log_in, _make_admin, _sign_up

Headers = dict[str, str]
SUBMIT = {"type": "timed", "payload": {"duration_seconds": 60}}


@pytest.fixture
def apps(apps: tuple[Flask, Flask]) -> tuple[Flask, Flask]:
    """The suite's apps, user-service's watch stopped: only its requests rebuild the view
    here, so what job-api answers before the rebuild is seen."""
    revocations.stop(apps[0])
    return apps


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def logout(users: FlaskClient, name: str, user_id: int) -> Headers:
    headers = bearer(_log_in(users, name))
    assert users.post("/api/auth/logout", headers=headers).status_code == 204
    return headers


def delete(users: FlaskClient, name: str, user_id: int) -> Headers:
    headers = bearer(_log_in(users, name))
    assert users.delete(f"/api/users/{user_id}", headers=headers).status_code == 204
    return headers


def replay(users: FlaskClient, name: str, user_id: int) -> Headers:
    """A spent refresh token used again: its whole session (token family) is revoked."""
    body = {"username": name, "password": "correct horse battery"}
    spent = bearer(users.post("/api/auth/login", json=body).get_json()["refresh_token"])
    family = users.post("/api/auth/refresh", headers=spent).get_json()
    assert users.post("/api/auth/refresh", headers=spent).status_code == 401
    return bearer(family["access_token"])


@pytest.mark.parametrize("end", [logout, delete, replay], ids=["logout", "delete", "replay"])
def test_an_ended_session_stays_ended_after_redis_loses_its_data(
    apps: tuple[Flask, Flask], end: Callable[[FlaskClient, str, int], Headers]
) -> None:
    users_app, jobs_app = apps
    users, jobs = users_app.test_client(), jobs_app.test_client()
    victim_id = _sign_up(users, "victim")
    _sign_up(users, "bystander")
    ended = end(users, "victim", victim_id)
    live = bearer(_log_in(users, "bystander"))
    redis.Redis.from_url(jobs_app.config["REDIS_URL"]).flushall()
    # job-api cannot rebuild the view: it refuses every token until user-service has.
    assert jobs.get("/api/jobs", headers=ended).status_code == 503
    assert jobs.get("/api/jobs", headers=live).status_code == 503
    assert users.get("/api/users/me", headers=ended).status_code == 401  # rebuilt first
    assert users.get("/api/users/me", headers=live).status_code == 200
    assert jobs.get("/api/jobs", headers=ended).status_code == 401
    assert jobs.get("/api/jobs", headers=live).status_code == 200


def _tier_change(users: FlaskClient, users_app: Flask) -> tuple[int, Headers]:
    """Sign up a free user and log in, then have an admin make them ``pro``."""
    user_id = _sign_up(users, "customer")
    headers = bearer(_log_in(users, "customer"))  # its token says "free"
    _make_admin(users_app, _sign_up(users, "boss"))
    admin = bearer(_log_in(users, "boss"))
    response = users.patch(f"/api/users/{user_id}", json={"tier": "pro"}, headers=admin)
    assert response.status_code == 200
    return user_id, headers


def test_a_tier_change_keeps_the_session_and_reaches_the_next_submission(
    apps: tuple[Flask, Flask],
) -> None:
    users_app, jobs_app = apps
    users, jobs = users_app.test_client(), jobs_app.test_client()
    user_id, headers = _tier_change(users, users_app)
    me = users.get("/api/users/me", headers=headers)
    assert (me.status_code, me.get_json()["tier"]) == (200, "pro")
    assert jobs.post("/api/jobs", json=SUBMIT, headers=headers).status_code == 201
    connection = redis.Redis.from_url(jobs_app.config["REDIS_URL"])
    assert connection.hget(f"conveyor:fair:user:{user_id}", "tier") == b"pro"


def test_a_stale_tier_claim_does_not_win_after_redis_loses_its_data(
    apps: tuple[Flask, Flask],
) -> None:
    users_app, jobs_app = apps
    users, jobs = users_app.test_client(), jobs_app.test_client()
    user_id, headers = _tier_change(users, users_app)
    connection = redis.Redis.from_url(jobs_app.config["REDIS_URL"])
    connection.flushall()
    assert jobs.post("/api/jobs", json=SUBMIT, headers=headers).status_code == 503
    assert users.get("/api/users/me", headers=headers).status_code == 200  # rebuilds the view
    assert jobs.post("/api/jobs", json=SUBMIT, headers=headers).status_code == 201
    assert connection.hget(f"conveyor:fair:user:{user_id}", "tier") == b"pro"
