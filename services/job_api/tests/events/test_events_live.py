"""``GET /api/events`` with real submissions and a real worker: each caller sees their own jobs
only (another user's open stream, and an admin's, receive nothing of a job they do not own),
and a client that reconnects with ``Last-Event-ID`` gets what happened while it was away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import events_support as support
import pytest
from flask.testing import FlaskClient

from conveyor_core import streams
from conveyor_testing import wait_for
from conveyor_testing.workers import WorkerFleet

FINISHED = ("completed", "failed", "canceled")


@pytest.fixture
def token(make_token: Callable[..., str]) -> Callable[..., str]:
    """An access token as user-service signs it, with the email and name job-api reads."""

    def make(user_id: int, role: str = "user") -> str:
        return make_token(
            user_id, role=role, email=f"user{user_id}@example.com", username=f"user{user_id}"
        )

    return make


def submit(client: FlaskClient, access_token: str, seconds: float = 0) -> str:
    body = {"type": "timed", "payload": {"duration_seconds": seconds}}
    created = client.post("/api/jobs", json=body, headers=support.bearer(access_token))
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["id"])


def status(client: FlaskClient, access_token: str, job_id: str) -> str:
    reply = client.get(f"/api/jobs/{job_id}", headers=support.bearer(access_token))
    return str(reply.get_json()["status"])


def mentions(message: support.Message, job_id: str) -> bool:
    """Whether ``message`` (a job event or a snapshot) says anything about ``job_id``."""
    if message.event == "snapshot":
        return any(job["id"] == job_id for job in message.json()["jobs"])
    return message.event.startswith("job.") and message.json().get("job_id") == job_id


def read_until_own_job(
    stream: support.Stream,
    client: FlaskClient,
    reader_token: str,
    ready: Callable[[support.Message], bool],
) -> tuple[str, list[support.Message]]:
    """Read ``stream`` until ``ready(message)``, then submit a job as the reader and read on
    until its ``job.queued``: proof the stream was live all along. Returns that job's id and
    every message read."""
    seen: list[support.Message] = []
    own: str | None = None
    for message in stream:  # bounded by the stream's own deadline
        seen.append(message)
        if own is None and ready(message):
            own = submit(client, reader_token)
        if own is not None and message.event == streams.JOB_QUEUED and mentions(message, own):
            return own, seen
    raise AssertionError("the stream ended early")


def test_another_users_open_stream_receives_none_of_a_real_workers_job(
    client: FlaskClient,
    fleet: WorkerFleet,
    open_stream: Callable[..., Any],
    token: Callable[..., str],
) -> None:
    fleet.start(1)
    owner, other = token(1), token(2)
    with open_stream(other) as stream:
        job_id = submit(client, owner, seconds=0.5)
        _, seen = read_until_own_job(
            stream, client, other, lambda _: status(client, owner, job_id) in FINISHED
        )

    assert status(client, owner, job_id) == "completed", fleet.logs()
    assert sum(m.event == "snapshot" for m in seen) >= 2  # live while the job ran
    assert [m for m in seen if mentions(m, job_id)] == []


def test_an_admins_stream_carries_only_the_admins_own_jobs(
    client: FlaskClient, open_stream: Callable[..., Any], token: Callable[..., str]
) -> None:
    owner, admin = token(1), token(99, role="admin")
    with open_stream(admin) as stream:
        job_id = submit(client, owner)  # stays queued: no worker runs here
        # Every snapshot is taken after the submission: once one arrives, mark the end.
        _, seen = read_until_own_job(stream, client, admin, lambda m: m.event == "snapshot")

    assert status(client, owner, job_id) == "queued"
    assert any(m.event == "snapshot" for m in seen)
    assert [m for m in seen if mentions(m, job_id)] == []


def test_a_reconnect_with_last_event_id_replays_what_a_real_worker_did_meanwhile(
    client: FlaskClient,
    fleet: WorkerFleet,
    open_stream: Callable[..., Any],
    token: Callable[..., str],
) -> None:
    owner = token(1)
    with open_stream(owner) as stream:
        job_id = submit(client, owner, seconds=0.5)
        queued, _ = support.read_until(stream, streams.JOB_QUEUED, job_id)
    assert queued.id is not None

    fleet.start(1)  # the job runs while no stream is open
    wait_for(lambda: status(client, owner, job_id) in FINISHED, timeout=30, what="the job")

    with open_stream(owner, last_event_id=queued.id) as stream:
        _, replayed = support.read_until(stream, "snapshot")

    names = [m.event for m in replayed if m.event.startswith("job.") and mentions(m, job_id)]
    assert names[0] == streams.JOB_STARTED and names[-1] == streams.JOB_COMPLETED, names
    assert streams.JOB_PROGRESS in names
    assert streams.JOB_QUEUED not in names  # nothing the client already had
