"""A database that cannot be reached as a worker picks a run: the run goes back to its
queue, untouched, and the worker goes on (it used to end with the claim's error)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from conveyor_shared.jobs.models import Job
from conveyor_shared.testing import free_port
from worker import execution, runtime
from worker.runtime import Runtime


@pytest.fixture
def cut_off(burst: Callable[[], None]) -> Iterator[Runtime]:
    """The worker runtime (as ``python -m worker`` configures it) on a PostgreSQL port where
    nothing listens."""
    gone = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/conveyor")
    yield dataclasses.replace(runtime.get(), engine=gone, sessions=sessionmaker(gone))
    gone.dispose()


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
