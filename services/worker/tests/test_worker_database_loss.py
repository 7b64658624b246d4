"""A database that cannot be reached as a worker picks a run: the run goes back to its
queue, untouched, and the worker goes on (it used to end with the claim's error). One that
goes away while the job runs: its end is left to the sweep, and the worker goes on (it used
to record the failed completion as the job's failure, fail at that too, and end)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs.models import Job
from conveyor_testing import free_port
from worker import execution, runtime
from worker.runtime import Runtime


@pytest.fixture
def gone() -> Iterator[Engine]:
    """An engine for a PostgreSQL port where nothing listens."""
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/conveyor")
    yield engine
    engine.dispose()


@pytest.fixture
def cut_off(burst: Callable[[], None], gone: Engine) -> Runtime:
    """The worker runtime (as ``python -m worker`` configures it) on that port."""
    return dataclasses.replace(runtime.get(), engine=gone, sessions=sessionmaker(gone))


@pytest.fixture
def lost_after_claim(burst: Callable[[], None], gone: Engine) -> Runtime:
    """The worker runtime whose database is gone once the run is claimed: the first
    session is the real database's, every later one the unreachable port's."""
    live = runtime.get().sessions
    unreachable = sessionmaker(gone)
    opened: list[Session] = []

    def sessions() -> Session:
        opened.append((unreachable if opened else live)())
        return opened[-1]

    return dataclasses.replace(runtime.get(), sessions=sessions)  # type: ignore[arg-type]


def test_an_unreachable_database_hands_the_run_back(
    submit: Callable[..., Job], row: Callable[[str], Job], cut_off: Runtime
) -> None:
    job = submit()
    ended: list[execution.Attempt] = []

    def on_end(pipe: Any, done: execution.Attempt) -> None:
        ended.append(done)

    done = execution.attempt(cut_off, job.run_id or "", job.id, on_end=on_end)
    assert done.status == "queued"
    assert isinstance(done.error, execution.DATABASE_UNREACHABLE)
    assert ended == [done]  # the caller's hook ran: the fair dispatcher releases the pick
    again = row(job.id)
    assert (again.status, again.run_id, again.attempts) == ("queued", job.run_id, 0)


@pytest.mark.parametrize(
    "payload", [{"duration_seconds": 0}, {"duration_seconds": 0, "fail_attempts": 1}],
    ids=["completed", "failed"],
)  # fmt: skip
def test_a_database_lost_during_the_run_leaves_its_end_to_the_sweep(
    submit: Callable[..., Job], row: Callable[[str], Job], lost_after_claim: Runtime,
    payload: dict[str, Any],
) -> None:  # fmt: skip
    job = submit(payload)
    done = execution.attempt(lost_after_claim, job.run_id or "", job.id)
    assert done.status is None
    assert isinstance(done.error, execution.DATABASE_UNREACHABLE)
    again = row(job.id)  # claimed and never ended: the sweep recovers it once its lease lapses
    assert (again.status, again.run_id, again.attempts) == ("running", job.run_id, 1)
