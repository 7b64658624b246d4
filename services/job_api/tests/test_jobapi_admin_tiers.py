"""GET /api/admin/tiers: per-tier totals, backlog and worker-time shares (the dispatcher's
tiers joined to the SQL record), admins only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from conveyor_core.fair import set_tier
from conveyor_core.jobs.models import Job, utcnow
from job_api.extensions import db

Auth = Callable[..., dict[str, str]]


def _job(user_id: int, status: str, run_seconds: float = 0.0, minutes_ago: float = 1) -> Job:
    finished = utcnow() - timedelta(minutes=minutes_ago) if status != "queued" else None
    return Job(user_id=user_id, type="timed", payload={"duration_seconds": 0}, status=status,
               timeout_seconds=60, run_seconds=run_seconds, finished_at=finished)  # fmt: skip


def _given(app: Flask, tiers: dict[int, str], *jobs: Job) -> None:
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    for user_id, tier in tiers.items():
        set_tier(connection, user_id, tier)
    with app.app_context():
        db.session.add_all(jobs)
        db.session.commit()


def _tiers(client: FlaskClient, auth: Auth) -> dict[str, Any]:
    reply = client.get("/api/admin/tiers", headers=auth(1, role="admin"))
    assert reply.status_code == 200, reply.get_json()
    return {row["tier"]: row for row in reply.get_json()["tiers"]}


def test_a_user_is_refused(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/api/admin/tiers", headers=auth(2))
    assert reply.status_code == 403
    assert reply.content_type == "application/problem+json"


def test_every_configured_tier_is_listed_when_nothing_ran(client: FlaskClient, auth: Auth) -> None:
    tiers = _tiers(client, auth)
    assert set(tiers) == {"free", "pro", "enterprise"}
    assert all(row["delivered_share"] is None for row in tiers.values())


def test_delivered_share_is_worker_time_per_tier(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    _given(app, {10: "free", 11: "pro"},
           _job(10, "completed", 10.0), _job(11, "completed", 20.0), _job(11, "failed", 10.0),
           _job(11, "completed", 500.0, minutes_ago=90))  # fmt: skip
    tiers = _tiers(client, auth)
    assert tiers["free"]["worker_seconds"] == 10.0
    assert tiers["pro"]["delivered_share"] == 0.75


def test_promised_share_follows_the_weights_of_users_with_work(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    _given(app, {10: "free", 11: "pro", 12: "pro"},
           _job(10, "completed", 1.0), _job(11, "queued"), _job(12, "completed", 0.0,
                                                                minutes_ago=90))  # fmt: skip
    tiers = _tiers(client, auth)
    assert (tiers["free"]["promised_share"], tiers["pro"]["promised_share"]) == (0.25, 0.75)
    assert tiers["pro"]["users_with_work"] == 1


def test_totals_and_backlog_are_counted_per_tier(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    _given(app, {11: "enterprise"}, _job(11, "queued"), _job(11, "queued"),
           _job(11, "completed"), _job(12, "queued"))  # fmt: skip
    tiers = _tiers(client, auth)
    assert tiers["enterprise"]["backlog"] == 2
    assert tiers["enterprise"]["totals"]["completed"] == 1
    assert tiers["free"]["backlog"] == 1  # no tier recorded: dispatched as free


def test_busiest_users_lead_with_their_shares(app: Flask, client: FlaskClient, auth: Auth) -> None:
    _given(app, {10: "free", 11: "pro"}, _job(10, "completed", 1.0),
           _job(11, "completed", 3.0))  # fmt: skip
    reply = client.get("/api/admin/tiers", headers=auth(1, role="admin"))
    busiest = reply.get_json()["busiest_users"]
    assert [(row["user_id"], row["tier"], row["delivered_share"]) for row in busiest] == [
        (11, "pro", 0.75), (10, "free", 0.25)]  # fmt: skip
