"""GET /api/admin/stats: throughput and wait percentiles from the SQL record, admins only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conveyor_core.jobs.models import Job, utcnow
from job_api.extensions import db
from job_api.resources.admin.stats import percentile

Auth = Callable[..., dict[str, str]]


def _job(status: str, finished_at: datetime | None, started_at: datetime | None,
         wait: float = 0.0) -> Job:  # fmt: skip
    return Job(user_id=7, type="timed", payload={"duration_seconds": 0}, status=status,
               timeout_seconds=60, finished_at=finished_at, started_at=started_at,
               wait_seconds=wait)  # fmt: skip


def _store(app: Flask, *jobs: Job) -> None:
    with app.app_context():
        db.session.add_all(jobs)
        db.session.commit()


def _stats(client: FlaskClient, auth: Auth, query: str = "") -> Any:
    reply = client.get(f"/api/admin/stats{query}", headers=auth(1, role="admin"))
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def test_a_user_is_refused(client: FlaskClient, auth: Auth) -> None:
    reply = client.get("/api/admin/stats", headers=auth(2))
    assert reply.status_code == 403
    assert reply.content_type == "application/problem+json"


@pytest.mark.parametrize("query", ["?minutes=0", "?minutes=1441", "?minutes=x"])
def test_a_bad_window_is_a_422(client: FlaskClient, auth: Auth, query: str) -> None:
    reply = client.get(f"/api/admin/stats{query}", headers=auth(1, role="admin"))
    assert reply.status_code == 422
    assert "minutes" in reply.get_json()["errors"]


def test_empty_record_has_one_zero_row_per_minute(client: FlaskClient, auth: Auth) -> None:
    body = _stats(client, auth)
    assert body["minutes"] == 60 and len(body["series"]) == 60
    assert body["completed"] == body["failed"] == 0
    assert body["wait_p50_seconds"] is None


def test_finished_jobs_are_counted_in_their_minute(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    now = utcnow()
    _store(app,
           _job("completed", now - timedelta(minutes=3), None),
           _job("completed", now - timedelta(minutes=3), None),
           _job("failed", now - timedelta(minutes=3), None),
           _job("completed", now, None),
           _job("completed", now - timedelta(hours=2), None),  # outside the hour
           _job("canceled", now, None))  # fmt: skip
    body = _stats(client, auth)
    assert (body["completed"], body["failed"]) == (3, 1)
    three_ago = body["series"][-4]
    assert (three_ago["completed"], three_ago["failed"]) == (2, 1)
    assert body["series"][-1]["completed"] == 1


def test_wait_percentiles_cover_jobs_started_in_the_window(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    now = utcnow()
    waits = [float(seconds) for seconds in range(1, 21)]  # 1..20 s
    _store(app, *(_job("running", None, now - timedelta(minutes=1), wait) for wait in waits),
           _job("running", None, now - timedelta(hours=3), 999.0))  # fmt: skip
    body = _stats(client, auth)
    assert body["wait_p50_seconds"] == 10.0
    assert body["wait_p95_seconds"] == 19.0
    assert body["series"][-2]["started"] == 20


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([4.0], 0.95, 4.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0)],
)
def test_percentile_is_nearest_rank(values: list[float], fraction: float, expected: float) -> None:
    assert percentile(values, fraction) == expected
