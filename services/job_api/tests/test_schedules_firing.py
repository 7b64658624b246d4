"""Firing schedules with the shared firing code, one pass at a time at chosen moments: one
job per tick, misses and catch-up, disabled and deleted schedules, deleted users, metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from schedule_helpers import every, fire, jobs_of, parse
from sqlalchemy import update

from conveyor_core.jobs import dispatch
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.reconcile import reconcile
from conveyor_core.schedules.models import Schedule
from conveyor_web.redis_client import get_redis
from job_api.extensions import db

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def schedule(client: FlaskClient, auth: Auth) -> dict[str, object]:
    """A schedule of user 1 that ticks every second."""
    return client.post("/api/schedules", json=every(1), headers=auth(1)).get_json()


def test_a_due_tick_makes_one_queued_job_carrying_schedule_and_tick(
    app: Flask, schedule: dict[str, object]
) -> None:
    first = parse(str(schedule["next_run_at"]))
    fired = fire(app, first + timedelta(seconds=0.5))
    [job] = jobs_of(app, str(schedule["id"]))
    assert [each.id for each in fired.jobs] == [job.id]
    assert (job.status, job.tick, job.user_id) == ("queued", first, 1)


def test_a_second_pass_at_the_same_moment_fires_nothing(
    app: Flask, schedule: dict[str, object]
) -> None:
    moment = parse(str(schedule["next_run_at"])) + timedelta(seconds=0.5)
    fire(app, moment)
    assert fire(app, moment).jobs == []
    assert len(jobs_of(app, str(schedule["id"]))) == 1


def test_each_tick_fires_once_as_time_goes_on(app: Flask, schedule: dict[str, object]) -> None:
    first = parse(str(schedule["next_run_at"]))
    for step in (0.1, 0.6, 1.2, 1.3, 2.0, 2.9):
        fire(app, first + timedelta(seconds=step))
    ticks = [job.tick for job in jobs_of(app, str(schedule["id"]))]
    assert ticks == [first + timedelta(seconds=n) for n in range(3)]


def test_the_unique_tick_holds_even_when_the_claim_is_replayed(
    app: Flask, schedule: dict[str, object]
) -> None:
    first = parse(str(schedule["next_run_at"]))
    fire(app, first)
    with app.app_context():  # a clock set back, a hand edit: the row says the old tick again
        db.session.execute(update(Schedule).values(next_run_at=first))
        db.session.commit()
    assert fire(app, first).jobs == []
    assert len(jobs_of(app, str(schedule["id"]))) == 1


def test_fired_jobs_reach_their_owners_line(app: Flask, schedule: dict[str, object]) -> None:
    fired = fire(app, parse(str(schedule["next_run_at"])))
    with app.app_context():
        places = dispatch.positions(get_redis(), fired.jobs)
    assert places[fired.jobs[0].id].line == 1


@pytest.mark.parametrize(("catch_up", "late_runs"), [(True, 1), (False, 0)])
def test_ticks_missed_while_nothing_ran_are_skipped_or_caught_up_once(
    app: Flask, client: FlaskClient, auth: Auth, catch_up: bool, late_runs: int
) -> None:
    created = client.post("/api/schedules", json=every(1, catch_up=catch_up), headers=auth(1))
    schedule = created.get_json()
    first = parse(schedule["next_run_at"])
    fired = fire(app, first + timedelta(seconds=5.5), grace=1)  # ticks 0-4 are older than 1 s
    # A run created more than the grace after its tick stands for the missed ticks.
    late = [job for job in fired.jobs if (job.created_at - job.tick).total_seconds() > 1]
    assert len(late) == late_runs
    assert fired.missed == 5
    assert [job.tick for job in fired.jobs if job not in late] == [first + timedelta(seconds=5)]
    body = client.get(f"/api/schedules/{schedule['id']}", headers=auth(1)).get_json()
    assert body["misses"] == 5
    assert parse(body["next_run_at"]) == first + timedelta(seconds=6)


def test_a_disabled_schedule_fires_nothing(
    app: Flask, client: FlaskClient, auth: Auth, schedule: dict[str, object]
) -> None:
    due = parse(str(schedule["next_run_at"]))
    client.patch(f"/api/schedules/{schedule['id']}", json={"enabled": False}, headers=auth(1))
    assert fire(app, due + timedelta(seconds=3)).jobs == []


def test_a_deleted_schedule_fires_nothing(
    app: Flask, client: FlaskClient, auth: Auth, schedule: dict[str, object]
) -> None:
    due = parse(str(schedule["next_run_at"]))
    client.delete(f"/api/schedules/{schedule['id']}", headers=auth(1))
    assert fire(app, due + timedelta(seconds=3)).jobs == []


def test_a_deleted_users_schedules_go_with_the_next_sweep(
    app: Flask, client: FlaskClient, auth: Auth, schedule: dict[str, object]
) -> None:
    kept = client.post("/api/schedules", json=every(1), headers=auth(2)).get_json()
    with app.app_context():
        dispatch.cancel_user_jobs(get_redis(), 1)  # what user-service does on a deletion
        reconcile(lambda: db.session, get_redis(), grace=5, lease=10)
        remaining = [row.id for row in db.session.query(Schedule).all()]
    assert remaining == [kept["id"]]


def test_jobs_of_a_schedule_are_listed_by_schedule_id(
    app: Flask, client: FlaskClient, auth: Auth, schedule: dict[str, object]
) -> None:
    other = client.post("/api/schedules", json=every(1), headers=auth(1)).get_json()
    first = parse(str(schedule["next_run_at"]))
    fire(app, max(first, parse(other["next_run_at"])) + timedelta(seconds=0.5))
    listed = client.get(f"/api/jobs?schedule_id={schedule['id']}", headers=auth(1)).get_json()
    assert {item["schedule_id"] for item in listed["items"]} == {schedule["id"]}
    assert listed["total"] == len(jobs_of(app, str(schedule["id"])))


def test_another_user_sees_none_of_a_schedules_jobs(
    app: Flask, client: FlaskClient, auth: Auth, schedule: dict[str, object]
) -> None:
    fire(app, parse(str(schedule["next_run_at"])))
    listed = client.get(f"/api/jobs?schedule_id={schedule['id']}", headers=auth(2)).get_json()
    assert listed["total"] == 0


def test_metrics_count_schedules_fires_and_misses(
    app: Flask, client: FlaskClient, schedule: dict[str, object]
) -> None:
    first = parse(str(schedule["next_run_at"]))
    fire(app, first + timedelta(seconds=3.5), grace=1)  # ticks 0-2 missed, 3 fired
    text = client.get("/metrics").get_data(as_text=True)
    assert 'conveyor_schedules{enabled="true"} 1.0' in text
    assert "conveyor_schedule_fires 1.0" in text
    assert "conveyor_schedule_misses 3.0" in text


def test_a_fired_job_is_an_ordinary_job(app: Flask, schedule: dict[str, object]) -> None:
    fire(app, parse(str(schedule["next_run_at"])))
    with app.app_context():
        job = db.session.query(Job).one()
    assert (job.type, job.priority, job.max_retries, job.timeout_seconds) == (
        "timed", "normal", 3, 60
    )  # fmt: skip
