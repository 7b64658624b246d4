"""Schedules fired by real worker processes, with real job-api processes beside them: one job
per tick under concurrency, a seconds cron, deletion, and an outage with a Redis flush."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import redis
from events.events_support import gunicorn_server
from flask import Flask
from flask.testing import FlaskClient
from schedule_helpers import call, every, jobs_of, parse

from conveyor_core.jobs.models import Job, utcnow
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

Auth = Callable[..., dict[str, str]]


def _all_completed(app: Flask, schedule_id: str) -> list[Job] | None:
    jobs = jobs_of(app, schedule_id)
    return jobs if jobs and all(job.status == "completed" for job in jobs) else None


def test_one_second_interval_for_ten_seconds_gives_one_job_per_tick(
    app: Flask, workers: WorkerFleet, make_token: Callable[..., str],
    jwt_keys: tuple[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    """4 firing workers and 2 job-api processes: 9-11 jobs, distinct ticks, each run once."""
    workers.start(4)
    token = make_token(1)
    database, redis_url = app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"]
    (tmp_path / "api-1").mkdir()
    (tmp_path / "api-2").mkdir()
    with (
        gunicorn_server(database, redis_url, jwt_keys[1], tmp_path / "api-1") as one,
        gunicorn_server(database, redis_url, jwt_keys[1], tmp_path / "api-2") as two,
    ):
        status, schedule = call(one, "POST", "/api/schedules", token, every(1))
        assert status == 201
        ten_seconds_on = parse(schedule["created_at"]) + timedelta(seconds=10)
        wait_for(lambda: utcnow() >= ten_seconds_on, timeout=20, interval=0.1, what="10 s")
        status, _ = call(two, "DELETE", f"/api/schedules/{schedule['id']}", token)
        assert status == 204
        status, listed = call(one, "GET", f"/api/jobs?schedule_id={schedule['id']}", token)
    jobs = wait_for(lambda: _all_completed(app, schedule["id"]), timeout=30, what="the jobs")
    ticks = [job.tick for job in jobs]
    assert 9 <= len(jobs) <= 11, workers.logs()
    assert len(set(ticks)) == len(ticks)
    assert all(job.attempts == 1 for job in jobs)
    assert status == 200 and listed["total"] >= len(jobs) - 1


def test_a_six_field_cron_fires_every_two_seconds(
    app: Flask, client: FlaskClient, auth: Auth, workers: WorkerFleet
) -> None:
    workers.start(1)
    body = every(cron="*/2 * * * * *")
    del body["interval_seconds"]
    schedule = client.post("/api/schedules", json=body, headers=auth(1)).get_json()
    jobs = wait_for(lambda: (found := jobs_of(app, schedule["id"]))[3:] and found, timeout=20,
                    what="four runs")  # fmt: skip
    ticks = [job.tick for job in jobs if job.tick is not None]
    assert {(later - earlier).total_seconds() for earlier, later in pairwise(ticks)} == {2.0}
    assert {tick.second % 2 for tick in ticks} == {0}


def test_delete_stops_the_schedule(
    app: Flask, client: FlaskClient, auth: Auth, workers: WorkerFleet
) -> None:
    workers.start(1)
    doomed = client.post("/api/schedules", json=every(1), headers=auth(1)).get_json()
    witness = client.post("/api/schedules", json=every(1), headers=auth(1)).get_json()
    wait_for(lambda: len(jobs_of(app, doomed["id"])) >= 2, timeout=20, what="two runs")
    assert client.delete(f"/api/schedules/{doomed['id']}", headers=auth(1)).status_code == 204
    fired_before = len(jobs_of(app, doomed["id"]))
    witnessed = len(jobs_of(app, witness["id"]))
    # The firing goes on (the witness fires three more ticks); the deleted one stays still.
    wait_for(lambda: len(jobs_of(app, witness["id"])) >= witnessed + 3, timeout=20,
             what="three more ticks of the witness")  # fmt: skip
    assert len(jobs_of(app, doomed["id"])) == fired_before


@pytest.mark.parametrize(("catch_up", "late_runs"), [(True, 1), (False, 0)])
def test_an_outage_of_five_ticks_with_a_redis_flush_is_caught_up_once_or_skipped(
    app: Flask, client: FlaskClient, auth: Auth, workers: WorkerFleet, catch_up: bool,
    late_runs: int,
) -> None:  # fmt: skip
    grace = 1.0
    workers.start(1, SCHEDULE_MISFIRE_GRACE=str(grace))
    body = every(1, catch_up=catch_up)
    schedule = client.post("/api/schedules", json=body, headers=auth(1)).get_json()
    wait_for(lambda: len(jobs_of(app, schedule["id"])) >= 2, timeout=20, what="two runs")
    workers.stop()  # the whole stack down: nothing fires, and Redis loses everything
    redis.Redis.from_url(app.config["REDIS_URL"]).flushall()
    back = utcnow() + timedelta(seconds=5 + grace + 0.5)
    wait_for(lambda: utcnow() >= back, timeout=10, interval=0.1, what="five ticks to pass")
    restarted = utcnow()
    workers.start(1, SCHEDULE_MISFIRE_GRACE=str(grace))
    wait_for(
        lambda: any(job.tick and job.tick > restarted + timedelta(seconds=1)
                    for job in jobs_of(app, schedule["id"])),
        timeout=20, what="a tick after the restart",
    )  # fmt: skip
    jobs = jobs_of(app, schedule["id"])
    late = [
        job for job in jobs if job.tick and (job.created_at - job.tick).total_seconds() >= grace
    ]
    assert len(late) == late_runs, workers.logs()
    ticks = [job.tick for job in jobs]
    assert len(set(ticks)) == len(ticks)
    wait_for(lambda: _all_completed(app, schedule["id"]), timeout=30, what="every run to end")
