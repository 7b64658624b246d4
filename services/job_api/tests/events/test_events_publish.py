"""The event contract in ``conveyor_core.streams``: publish and read one user's stream."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import redis

from conveyor_core import streams, versions
from conveyor_core.jobs.models import Job
from conveyor_core.redis_connection import connect
from conveyor_testing import free_port


def make_job(status: str, user_id: int = 7) -> Job:
    return Job(
        id="00000000-0000-4000-8000-000000000001", user_id=user_id, type="timed",
        payload={"duration_seconds": 1}, status=status, priority="normal", attempts=1,
        progress_percent=50.0, progress_message="half", run_seconds=0.0,
        started_at=datetime.now(UTC), finished_at=None,
    )  # fmt: skip


def test_publish_appends_type_and_json_data_to_the_users_stream(connection: redis.Redis) -> None:
    streams.publish(connection, 7, streams.JOB_QUEUED, {"job_id": "j1", "n": 1})

    (entry_id, fields), *rest = connection.xrange(streams.stream_key(7))
    assert rest == []
    assert fields[b"type"] == b"job.queued"
    assert json.loads(fields[b"data"]) == {"job_id": "j1", "n": 1}
    assert streams.parse_id(entry_id.decode()) is not None


def test_publish_on_a_pipeline_waits_for_execute(connection: redis.Redis) -> None:
    with connection.pipeline(transaction=False) as pipe:
        streams.publish(pipe, 7, streams.JOB_QUEUED, {"job_id": "j1"})
        streams.publish(pipe, 7, streams.JOB_QUEUED, {"job_id": "j2"})
        assert connection.xlen(streams.stream_key(7)) == 0
        pipe.execute()
    assert connection.xlen(streams.stream_key(7)) == 2


def test_publish_trims_the_stream_to_about_maxlen(connection: redis.Redis) -> None:
    with connection.pipeline(transaction=False) as pipe:
        for number in range(1000):
            streams.publish(pipe, 7, streams.JOB_PROGRESS, {"n": number}, maxlen=100)
        pipe.execute()
    length = connection.xlen(streams.stream_key(7))
    assert 100 <= length < 300  # "~" trims whole macro nodes, so a little over is normal


def test_publish_gives_the_stream_a_ttl(connection: redis.Redis) -> None:
    streams.publish(connection, 7, streams.JOB_QUEUED, {})
    assert 0 < connection.ttl(streams.stream_key(7)) <= streams.STREAM_TTL_SECONDS


def test_publish_refuses_an_unknown_type(connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        streams.publish(connection, 7, "job.exploded", {})
    assert connection.exists(streams.stream_key(7)) == 0


def test_read_returns_events_after_the_given_id_oldest_first(connection: redis.Redis) -> None:
    for number in range(3):
        streams.publish(connection, 7, streams.JOB_PROGRESS, {"n": number})
    first, *_ = streams.read(connection, 7, streams.FIRST_ID)

    later = streams.read(connection, 7, first.id)

    assert [event.data["n"] for event in later] == [1, 2]
    assert {event.type for event in later} == {streams.JOB_PROGRESS}


def test_read_sees_only_its_own_users_stream(connection: redis.Redis) -> None:
    streams.publish(connection, 7, streams.JOB_QUEUED, {"job_id": "j1"})
    assert streams.read(connection, 8, streams.FIRST_ID) == []
    assert streams.stream_key(7) != streams.stream_key(8)


def test_read_with_block_returns_empty_when_nothing_arrives(connection: redis.Redis) -> None:
    cursor = streams.latest_id(connection, 7)
    assert streams.read(connection, 7, cursor, block_ms=100) == []


def test_read_refuses_an_unbounded_block(connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match="block_ms"):
        streams.read(connection, 7, streams.FIRST_ID, block_ms=0)


def test_latest_id_of_an_empty_stream_is_the_first_id(connection: redis.Redis) -> None:
    assert streams.latest_id(connection, 7) == streams.FIRST_ID


def test_latest_id_is_the_newest_entry(connection: redis.Redis) -> None:
    streams.publish(connection, 7, streams.JOB_QUEUED, {"n": 1})
    streams.publish(connection, 7, streams.JOB_QUEUED, {"n": 2})
    (newest,) = streams.read(connection, 7, streams.FIRST_ID)[1:]
    assert streams.latest_id(connection, 7) == newest.id


@pytest.mark.parametrize("text", ["", "abc", "1", "1-", "-1", "1-2-3", "1-a", "9" * 21 + "-0"])
def test_parse_id_rejects_what_is_not_a_stream_id(text: str) -> None:
    assert streams.parse_id(text) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("scheduled", streams.JOB_SCHEDULED),
        ("queued", streams.JOB_QUEUED),
        ("running", streams.JOB_STARTED),
        ("completed", streams.JOB_COMPLETED),
        ("failed", streams.JOB_FAILED),
        ("canceled", streams.JOB_CANCELED),
    ],
)
def test_publish_job_names_the_event_after_the_status(
    connection: redis.Redis, status: str, expected: str
) -> None:
    streams.publish_job(connection, make_job(status))

    (event,) = streams.read(connection, 7, streams.FIRST_ID)
    assert event.type == expected
    assert event.data["job_id"] == "00000000-0000-4000-8000-000000000001"
    assert event.data["status"] == status


def test_publish_progress_carries_percent_message_and_time_spent(
    connection: redis.Redis,
) -> None:
    streams.publish_progress(
        connection, user_id=7, job_id="j1", job_type="timed", percent=42.5, message="working",
        time_spent_seconds=1.23456,
    )  # fmt: skip

    (event,) = streams.read(connection, 7, streams.FIRST_ID)
    assert event.type == streams.JOB_PROGRESS
    assert event.data["progress"] == {"percent": 42.5, "message": "working"}
    assert event.data["time_spent_seconds"] == 1.235


def test_publish_progress_logs_instead_of_raising_when_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = connect(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger=streams.logger.name):
        streams.publish_progress(
            dead, user_id=7, job_id="j1", job_type="timed", percent=1, message=None,
            time_spent_seconds=0,
        )  # fmt: skip
    dead.close()
    (record,) = [r for r in caplog.records if r.name == streams.logger.name]
    assert record.getMessage() == "could not publish job progress"
    assert record.levelno == logging.WARNING


def test_publish_jobs_sends_one_event_per_job(connection: redis.Redis) -> None:
    streams.publish_jobs(connection, [make_job("queued"), make_job("scheduled")])

    found = streams.read(connection, 7, streams.FIRST_ID)
    assert [event.type for event in found] == [streams.JOB_QUEUED, streams.JOB_SCHEDULED]


def test_publish_gives_the_users_jobs_a_new_version(connection: redis.Redis) -> None:
    assert versions.current(connection, 7) == versions.NO_VERSION
    streams.publish(connection, 7, streams.JOB_QUEUED, {})
    first = versions.current(connection, 7)
    streams.publish(connection, 7, streams.JOB_PROGRESS, {})
    assert versions.NO_VERSION != first != versions.current(connection, 7)
    assert versions.current(connection, 8) == versions.NO_VERSION
    assert 0 < connection.ttl(versions.key(7)) <= versions.VERSION_TTL_SECONDS


def test_publish_on_a_pipeline_changes_the_version_at_execute(connection: redis.Redis) -> None:
    with connection.pipeline(transaction=False) as pipe:
        streams.publish(pipe, 7, streams.JOB_QUEUED, {})
        assert versions.current(connection, 7) == versions.NO_VERSION
        pipe.execute()
    assert versions.current(connection, 7) != versions.NO_VERSION


def test_publish_jobs_renews_each_users_stream_and_version_once(connection: redis.Redis) -> None:
    with connection.pipeline(transaction=False) as pipe:
        streams.publish_jobs(pipe, [make_job("queued"), make_job("queued"), make_job("queued", 8)])
        commands = [args[0] for args, _options in pipe.command_stack]
        pipe.execute()
    assert commands.count("XADD") == 3
    assert commands.count("EXPIRE") == commands.count("SET") == 2
    assert versions.current(connection, 8) != versions.NO_VERSION


def test_touch_changes_the_version_without_an_event(connection: redis.Redis) -> None:
    versions.touch(connection, 7)
    assert versions.current(connection, 7) != versions.NO_VERSION
    assert connection.exists(streams.stream_key(7)) == 0
