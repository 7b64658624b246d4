"""``GET /api/events`` through Flask's test client: content, isolation, resuming, pacing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import events_support as support
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from conveyor_core import streams
from conveyor_core.jobs import runs
from conveyor_testing.workers import WorkerFleet
from conveyor_web.auth import REVOKED_JTI_KEY
from job_api.extensions import db


def test_stream_is_served_as_unbuffered_event_stream(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    response = client.get("/api/events", headers=support.bearer(make_token(1)), buffered=False)
    try:
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Accel-Buffering"] == "no"
        first = next(support.messages(response.response, time.monotonic() + 5))
        assert first.retry == 2000
    finally:
        response.close()


def test_stream_without_a_token_is_a_401_problem(client: FlaskClient) -> None:
    response = client.get("/api/events")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


def test_stream_begins_with_a_snapshot(open_stream: Callable[..., Any]) -> None:
    with open_stream() as stream:
        message, _ = support.read_until(stream, "snapshot")
    snapshot = message.json()
    assert message.id is None  # snapshots are not replayable events
    assert snapshot["jobs"] == []
    assert (snapshot["running"], snapshot["queued"], snapshot["truncated"]) == (0, 0, False)


@pytest.mark.parametrize(
    "stage", [streams.JOB_STARTED, streams.JOB_PROGRESS, streams.JOB_COMPLETED]
)
def test_owner_receives_each_state_change_within_two_seconds(
    app: Flask, connection: redis.Redis, open_stream: Callable[..., Any], stage: str
) -> None:
    job = support.add_job(app, user_id=1)
    with open_stream(user_id=1) as stream:
        job = support.claim(app, job)
        if stage == streams.JOB_STARTED:
            streams.publish_job(connection, job)
        elif stage == streams.JOB_PROGRESS:
            streams.publish_progress(
                connection, user_id=1, job_id=job.id, job_type=job.type, percent=40,
                message="working", time_spent_seconds=0.4,
            )  # fmt: skip
        else:
            streams.publish_job(connection, support.complete(app, job))
        message, _ = support.read_until(support.within(stream, 2), stage, job.id)

    assert streams.parse_id(message.id or "") is not None
    data = message.json()
    assert data["job_type"] == "timed"
    if stage == streams.JOB_PROGRESS:
        assert data["progress"] == {"percent": 40, "message": "working"}
    if stage == streams.JOB_COMPLETED:
        assert (data["status"], data["progress"]["percent"]) == ("completed", 100.0)


def test_another_users_stream_receives_none_of_it(
    app: Flask, connection: redis.Redis, open_stream: Callable[..., Any]
) -> None:
    job = support.add_job(app, user_id=1)
    with open_stream(user_id=2) as other:
        streams.publish_job(connection, job)
        job = support.claim(app, job)
        streams.publish_job(connection, job)
        streams.publish_job(connection, support.complete(app, job))
        seen = [next(other) for _ in range(8)]  # several snapshots after every publish

    assert [m for m in seen if m.event.startswith("job.")] == []
    snapshots = [m.json() for m in seen if m.event == "snapshot"]
    assert snapshots and all(s["jobs"] == [] for s in snapshots)


@pytest.mark.parametrize("via", ["header", "query"])
def test_reconnect_with_last_event_id_replays_what_was_missed(
    app: Flask, connection: redis.Redis, open_stream: Callable[..., Any], via: str
) -> None:
    job = support.add_job(app, user_id=1)
    with open_stream(user_id=1) as stream:
        streams.publish_job(connection, job)
        queued, _ = support.read_until(stream, streams.JOB_QUEUED, job.id)
    job = support.claim(app, job)  # while disconnected
    streams.publish_job(connection, job)
    streams.publish_job(connection, support.complete(app, job))

    assert queued.id is not None
    resume = (
        {"headers": {"Last-Event-ID": queued.id}}
        if via == "header"
        else {"query": f"?last_event_id={queued.id}"}
    )
    with open_stream(user_id=1, **resume) as stream:
        _, replayed = support.read_until(stream, "snapshot")

    job_events = [m for m in replayed if m.event.startswith("job.")]
    assert [m.event for m in job_events] == [streams.JOB_STARTED, streams.JOB_COMPLETED]
    assert all(m.json()["job_id"] == job.id for m in job_events)


def test_last_event_id_header_wins_over_the_query(
    connection: redis.Redis, open_stream: Callable[..., Any]
) -> None:
    for number in range(3):
        streams.publish(connection, 1, streams.JOB_PROGRESS, {"job_id": "j", "n": number})
    first, second, _ = streams.read(connection, 1, streams.FIRST_ID)

    with open_stream(
        headers={"Last-Event-ID": second.id}, query=f"?last_event_id={first.id}"
    ) as stream:
        _, replayed = support.read_until(stream, "snapshot")

    assert [m.json()["n"] for m in replayed if m.event == streams.JOB_PROGRESS] == [2]


def test_last_event_id_beyond_the_newest_still_gets_new_events(
    connection: redis.Redis, open_stream: Callable[..., Any]
) -> None:
    with open_stream(headers={"Last-Event-ID": "99999999999999-0"}) as stream:
        streams.publish(connection, 1, streams.JOB_QUEUED, {"job_id": "j"})
        message, _ = support.read_until(stream, streams.JOB_QUEUED)
    assert message.json()["job_id"] == "j"


@pytest.mark.parametrize(
    ("header", "query"),
    [
        ("not-an-id", ""),
        ("1-2-3", ""),
        ("9" * 40, ""),
        ("", "?last_event_id=abc"),
        ("1-99999999999999999999", ""),  # past 2**64: Redis would refuse it as a cursor
        ("", "?last_event_id=%D9%A1-%D9%A0"),  # Arabic-Indic digits are no id for Redis
    ],
)
def test_a_malformed_last_event_id_is_a_422_problem(
    client: FlaskClient, make_token: Callable[..., str], header: str, query: str
) -> None:
    headers = support.bearer(make_token(1))
    if header:
        headers["Last-Event-ID"] = header
    response = client.get(f"/api/events{query}", headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]


def test_snapshot_lists_running_progress_and_queued_positions(
    app: Flask, open_stream: Callable[..., Any]
) -> None:
    ahead = support.add_job(app, user_id=2)  # another user's job, queued first
    running = support.claim(app, support.add_job(app, user_id=1, enqueue=False))
    with app.app_context():
        assert running.run_id is not None
        runs.report_progress(db.session, running.id, running.run_id, 40.0, "4 of 10")
        db.session.commit()
    first = support.add_job(app, user_id=1)
    second = support.add_job(app, user_id=1)

    with open_stream(user_id=1) as stream:
        message, _ = support.read_until(stream, "snapshot")

    snapshot = message.json()
    assert (snapshot["running"], snapshot["queued"], snapshot["truncated"]) == (1, 2, False)
    listed = {job["id"]: job for job in snapshot["jobs"]}
    assert list(listed) == [running.id, first.id, second.id]
    assert ahead.id not in listed
    assert listed[running.id]["progress"] == {"percent": 40.0, "message": "4 of 10"}
    assert listed[running.id]["time_spent_seconds"] >= 0
    assert listed[running.id]["queue_position"] is None
    assert [listed[first.id]["queue_position"], listed[second.id]["queue_position"]] == [1, 2]
    assert listed[second.id]["dispatches_ahead"] >= 1


def test_snapshot_lists_at_most_the_configured_number_of_jobs(
    config: dict[str, Any], open_stream: Callable[..., Any], app: Flask
) -> None:
    app.config["EVENTS_SNAPSHOT_JOBS"] = 2
    for _ in range(3):
        support.add_job(app, user_id=1)

    with open_stream(user_id=1) as stream:
        message, _ = support.read_until(stream, "snapshot")

    snapshot = message.json()
    assert (len(snapshot["jobs"]), snapshot["queued"], snapshot["truncated"]) == (2, 3, True)


def test_snapshots_repeat_at_the_configured_interval(open_stream: Callable[..., Any]) -> None:
    with open_stream() as stream:
        # Interval 0.2 s: each of four snapshots in turn must come within 2 s of the last.
        for _ in range(4):
            support.read_until(support.within(stream, 2), "snapshot")


def test_idle_stream_sends_keep_alive_comments(open_stream: Callable[..., Any]) -> None:
    with open_stream() as stream:
        comment = next(m for m in stream if m.comment is not None)
    assert comment.comment == "keep-alive"


def test_stream_ends_after_its_max_lifetime(app: Flask, open_stream: Callable[..., Any]) -> None:
    app.config["EVENTS_MAX_STREAM_SECONDS"] = 1
    with open_stream(within=10) as stream:  # raises unless the stream ends by then
        received = list(stream)
    assert received


@pytest.mark.parametrize("revoke", ["token", "flushall"])
def test_stream_ends_when_the_access_token_is_revoked(
    client: FlaskClient, connection: redis.Redis, make_token: Callable[..., str], revoke: str
) -> None:
    token = make_token(1, jti="revoke-me")
    response = client.get("/api/events", headers=support.bearer(token), buffered=False)
    try:
        stream = support.messages(response.response, time.monotonic() + 20)
        support.read_until(stream, "snapshot")
        if revoke == "token":
            connection.set(REVOKED_JTI_KEY.format("revoke-me"), 1)
        else:  # Redis lost its data: until rebuilt, no token is known to be live
            connection.flushall()
        # It ends at the next heartbeat (0.5 s); the stream's lifetime is 30 s.
        list(support.within(stream, 10))
    finally:
        response.close()


def test_a_real_workers_job_streams_every_change_in_order(
    client: FlaskClient,
    fleet: WorkerFleet,
    open_stream: Callable[..., Any],
    make_token: Callable[..., str],
) -> None:
    fleet.start(1)
    token = make_token(1, email="user1@example.com", username="user1")
    seen: dict[str, support.Message] = {}
    with open_stream(user_id=1, within=30) as stream:
        body = {"type": "timed", "payload": {"duration_seconds": 1}}
        created = client.post("/api/jobs", json=body, headers=support.bearer(token))
        assert created.status_code == 201, created.get_json()
        job_id = created.get_json()["id"]
        for message in stream:
            if message.event.startswith("job.") and message.json()["job_id"] == job_id:
                seen.setdefault(message.event, message)
            if message.event in (streams.JOB_COMPLETED, streams.JOB_FAILED):
                break

    order = list(seen)
    assert order[:2] == [streams.JOB_QUEUED, streams.JOB_STARTED], fleet.logs()
    assert order[-1] == streams.JOB_COMPLETED, fleet.logs()
    assert streams.JOB_PROGRESS in order
