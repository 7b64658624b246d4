"""What one run leaves behind: the SQL row, the owner's events, RQ's copy, the charge."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import redis
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.fair import CLAIMED_KEY, Dispatcher, queue_name
from conveyor_core.jobs import runs, store
from conveyor_core.jobs.models import Job, utcnow
from conveyor_core.streams import stream_key


def _queued_since(sessions: sessionmaker[Session], seconds: float) -> Job:
    with sessions() as session:
        job = store.create(session, store.NewJob(user_id=1, type="timed", payload={}),
                           now=utcnow() - timedelta(seconds=seconds))  # fmt: skip
        session.commit()
    return job


def test_claim_by_run_id_records_the_wait(sessions: sessionmaker[Session]) -> None:
    job = _queued_since(sessions, 2.0)
    with sessions() as session:
        claimed = runs.claim(session, None, job.run_id or "", "w1", utcnow())
        session.commit()
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.attempts, claimed.worker_name) == (
        job.id, "running", 1, "w1",
    )  # fmt: skip
    # SQLite subtracts julianday() values: doubles of ~2.46 million days, exact to ~50 µs.
    assert 2.0 - 1e-3 <= claimed.wait_seconds < 10.0


def test_a_run_is_claimed_once(sessions: sessionmaker[Session]) -> None:
    job = _queued_since(sessions, 0.0)
    with sessions() as session:
        first = runs.claim(session, None, job.run_id or "", "w1", utcnow())
        second = runs.claim(session, job.id, job.run_id or "", "w2", utcnow())
        session.commit()
    assert first is not None and second is None


def test_complete_returns_the_stored_row(
    sessions: sessionmaker[Session], row: Callable[[str], Job]
) -> None:
    job = _queued_since(sessions, 0.0)
    with sessions() as session:
        runs.claim(session, job.id, job.run_id or "", "w1", utcnow())
        done = runs.complete(session, job.id, job.run_id or "", result={"n": 1}, elapsed=0.25,
                              now=utcnow())  # fmt: skip
        session.commit()
    stored = row(job.id)
    assert done is not None
    assert (done.status, done.result, done.run_seconds, done.finished_at) == (
        stored.status, stored.result, stored.run_seconds, stored.finished_at,
    )  # fmt: skip
    assert (stored.status, stored.run_seconds) == ("completed", 0.25)


def _events(connection: redis.Redis, user_id: int) -> list[tuple[str, str]]:
    entries = connection.xrange(stream_key(user_id))
    found = []
    for _, fields in entries:  # type: ignore[union-attr]
        data = json.loads(fields[b"data"])
        found.append((fields[b"type"].decode(), data["job_id"]))
    return found


def test_a_short_jobs_start_is_announced_before_its_end(
    submit: Callable[..., Job], burst: Callable[[], None], connection: redis.Redis
) -> None:
    job = submit({"duration_seconds": 0})
    burst()
    mine = [kind for kind, job_id in _events(connection, 1) if job_id == job.id]
    assert mine == ["job.queued", "job.started", "job.completed"][-len(mine) :]
    assert mine[-2:] == ["job.started", "job.completed"]


def test_rq_shows_a_completed_run_as_finished(
    submit: Callable[..., Job], burst: Callable[[], None], connection: redis.Redis
) -> None:
    job = submit({"duration_seconds": 0})
    burst()
    run_id = job.run_id or ""
    registry = FinishedJobRegistry(queue_name(1, "normal"), connection=connection)
    assert run_id in registry.get_job_ids()
    assert RQJob.fetch(run_id, connection=connection).get_status() == JobStatus.FINISHED


def test_rq_shows_a_failed_attempt_in_its_failed_registry(
    submit: Callable[..., Job], burst: Callable[[], None], connection: redis.Redis,
    row: Callable[[str], Job],
) -> None:  # fmt: skip
    job = submit({"duration_seconds": 0, "fail_attempts": 1}, max_retries=0)
    burst()
    assert row(job.id).status == "failed"
    registry = FailedJobRegistry(queue_name(1, "normal"), connection=connection)
    assert job.run_id in registry.get_job_ids()


def test_the_charge_is_settled_when_redis_lost_its_scripts(
    submit: Callable[..., Job], burst: Callable[[], None], connection: redis.Redis,
    row: Callable[[str], Job],
) -> None:  # fmt: skip
    job = submit({"duration_seconds": 0})
    connection.script_flush()  # as after a Redis restart: the finish script is unknown
    burst()
    assert row(job.id).status == "completed"
    assert connection.zcard(CLAIMED_KEY) == 0
    assert Dispatcher(connection, {}).usage(1) > 0
