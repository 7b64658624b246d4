"""Cached reads of jobs: served without SQL, never stale after a change announced anywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, timed
from sqlalchemy import update
from sqlalchemy.orm import Session

from conveyor_core import streams, versions
from conveyor_core.jobs import events, store
from conveyor_core.jobs.models import Job, utcnow
from job_api import create_app
from job_api.extensions import db
from job_api.resources.jobs import rendering

Auth = Callable[..., dict[str, str]]


def _submit(client: FlaskClient, auth: Auth, **fields: Any) -> str:
    return str(client.post("/api/jobs", json=timed(0, **fields), headers=auth(1)).get_json()["id"])


def _get(client: FlaskClient, auth: Auth, job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/jobs/{job_id}", headers=auth(1))
    assert response.status_code == 200
    return dict(response.get_json())


def _redis(app: Flask) -> redis.Redis:
    return redis.Redis.from_url(app.config["REDIS_URL"])


def _change_row(app: Flask, job_id: str, announce: bool, **values: Any) -> Job:
    """Change the row in a session of its own, as a worker process does; then maybe announce."""
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))
        session.commit()
        job = store.fetch(session, job_id)
    assert job is not None
    if announce:
        events.publish(_redis(app), job)
    return job


def test_a_second_read_sends_no_sql(
    client: FlaskClient, auth: Auth, sql_statements: list[str]
) -> None:
    job_id = _submit(client, auth)
    first = _get(client, auth, job_id)
    sent = len(sql_statements)
    second = _get(client, auth, job_id)
    assert len(sql_statements) == sent
    assert second["id"] == first["id"] and second["status"] == "queued"


def test_a_change_is_seen_once_announced(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    assert _get(client, auth, job_id)["status"] == "queued"
    job = _change_row(app, job_id, announce=False, status="running", started_at=utcnow())
    assert _get(client, auth, job_id)["status"] == "queued"  # cached: nothing announced yet
    events.publish(_redis(app), job)
    assert _get(client, auth, job_id)["status"] == "running"


@pytest.mark.parametrize(
    "values",
    [
        {"status": "running", "attempts": 1},
        {"status": "running", "progress_percent": 40.0, "progress_message": "working"},
        {"status": "completed", "result": {"ok": True}, "progress_percent": 100.0},
        {"status": "failed", "error": "boom"},
    ],
)
def test_a_worker_change_through_events_publish_is_never_stale(
    app: Flask, client: FlaskClient, auth: Auth, values: dict[str, Any]
) -> None:
    job_id = _submit(client, auth)
    _get(client, auth, job_id)
    _change_row(app, job_id, announce=True, started_at=utcnow(), **values)
    shown = _get(client, auth, job_id)
    assert shown["status"] == values["status"]
    if "progress_percent" in values:
        assert shown["progress"]["percent"] == values["progress_percent"]


def test_progress_announced_by_a_worker_is_seen(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _submit(client, auth)
    finish(app, job_id, "running")
    _get(client, auth, job_id)
    _change_row(app, job_id, announce=False, progress_percent=75.0)
    streams.publish_progress(
        _redis(app), user_id=1, job_id=job_id,
        job_type="timed", percent=75.0, message=None, time_spent_seconds=1.0,
    )  # fmt: skip
    assert _get(client, auth, job_id)["progress"]["percent"] == 75.0


def test_cancel_by_the_same_client_is_seen_at_once(client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    _get(client, auth, job_id)
    assert client.post(f"/api/jobs/{job_id}/cancel", headers=auth(1)).status_code == 200
    assert _get(client, auth, job_id)["status"] == "canceled"


def test_a_stop_request_is_seen_at_once(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    finish(app, job_id, "running")
    assert _get(client, auth, job_id)["cancel_requested"] is False
    assert client.post(f"/api/jobs/{job_id}/cancel", headers=auth(1)).status_code == 202
    assert _get(client, auth, job_id)["cancel_requested"] is True


def test_retry_is_seen_at_once(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    finish(app, job_id, "failed")
    assert _get(client, auth, job_id)["status"] == "failed"
    assert client.post(f"/api/jobs/{job_id}/retry", headers=auth(1)).status_code == 202
    assert _get(client, auth, job_id)["status"] == "queued"


def test_delete_is_seen_at_once(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    finish(app, job_id, "completed")
    _get(client, auth, job_id)
    assert client.delete(f"/api/jobs/{job_id}", headers=auth(1)).status_code == 204
    assert client.get(f"/api/jobs/{job_id}", headers=auth(1)).status_code == 404


def _listed(client: FlaskClient, auth: Auth) -> list[str]:
    return [job["id"] for job in client.get("/api/jobs", headers=auth(1)).get_json()["items"]]


def test_a_cached_list_page_shows_a_new_submission(client: FlaskClient, auth: Auth) -> None:
    first = _submit(client, auth)
    assert _listed(client, auth) == [first]
    second = _submit(client, auth)
    assert _listed(client, auth) == [second, first]


def test_a_cached_list_page_shows_a_worker_change(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _submit(client, auth)
    assert client.get("/api/jobs/status/queued", headers=auth(1)).get_json()["total"] == 1
    finish(app, job_id, "completed")
    assert client.get("/api/jobs/status/queued", headers=auth(1)).get_json()["total"] == 0
    assert client.get("/api/jobs/status/completed", headers=auth(1)).get_json()["total"] == 1


def test_time_spent_stays_live_while_cached(
    app: Flask, client: FlaskClient, auth: Auth, sql_statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    job_id = _submit(client, auth)
    started = utcnow() - timedelta(seconds=60)
    _change_row(app, job_id, announce=True, status="running", started_at=started, attempts=1)
    assert 60 <= _get(client, auth, job_id)["time_spent_seconds"] < 90
    sent = len(sql_statements)
    later = utcnow() + timedelta(seconds=120)
    monkeypatch.setattr(rendering, "utcnow", lambda: later)
    assert _get(client, auth, job_id)["time_spent_seconds"] >= 180
    assert len(sql_statements) == sent  # from the cache, made live at answer time


def test_a_queued_jobs_place_follows_its_line(app: Flask, client: FlaskClient, auth: Auth) -> None:
    first, second = _submit(client, auth), _submit(client, auth)
    assert _get(client, auth, second)["queue_position"] == 2
    finish(app, first, "running")  # a worker took the first one: the second moves up
    assert _get(client, auth, second)["queue_position"] == 1


def test_a_cached_job_is_still_404_for_another_user(client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    _get(client, auth, job_id)
    assert client.get(f"/api/jobs/{job_id}", headers=auth(2)).status_code == 404
    admin = auth(9, role="admin")
    assert client.get(f"/api/jobs/{job_id}", headers=admin).get_json()["id"] == job_id


def test_admin_reads_see_changes(app: Flask, client: FlaskClient, auth: Auth) -> None:
    job_id = _submit(client, auth)
    admin = auth(9, role="admin")
    assert client.get(f"/api/jobs/{job_id}", headers=admin).get_json()["status"] == "queued"
    finish(app, job_id, "completed")
    assert client.get(f"/api/jobs/{job_id}", headers=admin).get_json()["status"] == "completed"


def test_cache_entries_live_under_job_apis_prefix(
    app: Flask, client: FlaskClient, auth: Auth
) -> None:
    _get(client, auth, _submit(client, auth))
    assert _redis(app).keys("conveyor:job-api:cache:*")
    assert _redis(app).exists(versions.key(1))


def test_with_the_cache_off_every_read_goes_to_sql(
    app: Flask, uncached: Flask, client: FlaskClient, auth: Auth
) -> None:
    job_id = _submit(client, auth)
    other = uncached.test_client()
    assert other.get(f"/api/jobs/{job_id}", headers=auth(1)).get_json()["status"] == "queued"
    _change_row(app, job_id, announce=False, status="completed", finished_at=utcnow())
    assert other.get(f"/api/jobs/{job_id}", headers=auth(1)).get_json()["status"] == "completed"
    assert not _redis(app).keys("conveyor:job-api:cache:*")


def test_job_cache_enabled_0_turns_the_cache_off(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_CACHE_ENABLED", "0")
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "JWT_PUBLIC_KEY", "ARTIFACTS_DIR")
    other = create_app({"TESTING": True, "LOG_DIR": None, **{k: app.config[k] for k in keys}})
    assert other.config["CACHE_TYPE"] == "NullCache"
    with other.app_context():
        db.engine.dispose()
