"""Places of pushed runs from their owners' line lengths (``dispatch.LinePlaces``)."""

from __future__ import annotations

import pytest
import redis

from conveyor_core.fair import FairQueue, execute_pipeline, queue_name
from conveyor_core.jobs import dispatch


def _runs(*priorities: str, user_id: int = 1, tag: str = "") -> list[dispatch.Run]:
    return [
        dispatch.Run(job_id=f"job-{user_id}-{n}{tag}", run_id=f"run-{user_id}-{n}{tag}",
                     user_id=user_id, type="timed", priority=priority, timeout_seconds=10)
        for n, priority in enumerate(priorities)
    ]  # fmt: skip


def _true_place(connection: redis.Redis, run: dispatch.Run) -> int:
    """The run's place in its owner's line, counted from the lists themselves."""
    ahead = 0
    for priority in ("high", "normal", "low"):
        found = FairQueue(queue_name(run.user_id, priority), connection=connection).job_ids
        if run.run_id in found:
            return ahead + found.index(run.run_id) + 1
        ahead += len(found)
    raise AssertionError("not queued")


def _push(connection: redis.Redis, runs: list[dispatch.Run]) -> dict[str, int]:
    lines = dispatch.LinePlaces(runs)
    with connection.pipeline() as pipe:
        dispatch.enqueue(connection, runs, pipeline=pipe)
        start = len(pipe)
        count = lines.queue(pipe)
        replies = execute_pipeline(connection, pipe)
    return lines.read_after(replies[start : start + count])


@pytest.mark.parametrize(
    "batches",
    [
        [["normal"]],
        [["normal", "normal"], ["high"], ["low"], ["normal"]],
        [["normal", "high", "normal", "low", "high"]],
        [["low", "low"], ["high", "normal", "low"]],
    ],
)
def test_places_read_with_the_push_are_exact(
    connection: redis.Redis, batches: list[list[str]]
) -> None:
    for number, priorities in enumerate(batches):
        runs = _runs(*priorities, tag=f"-{number}")
        places = _push(connection, runs)
        assert places == {run.job_id: _true_place(connection, run) for run in runs}


def test_places_estimated_before_the_push_match_the_push(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs("normal", "high"))
    runs = _runs("normal", "high", "low", "normal", tag="-new")
    lines = dispatch.LinePlaces(runs)
    with connection.pipeline(transaction=False) as pipe:
        lines.queue(pipe)
        estimated = lines.read_before(pipe.execute())
    assert estimated == _push(connection, runs)


def test_other_users_lines_do_not_count(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs("high", "high", user_id=2))
    assert _push(connection, _runs("normal")) == {"job-1-0": 1}
