"""Pushing runs (``dispatch.enqueue``): one activation per owner, even after Redis lost its
scripts, waking an idle worker per run."""

from __future__ import annotations

import redis

from conveyor_core.fair import WAKE_KEY, Dispatcher, execute_pipeline
from conveyor_core.jobs import dispatch


def _runs(user_id: int, count: int) -> list[dispatch.Run]:
    return [
        dispatch.Run(job_id=f"job-{user_id}-{n}", run_id=f"run-{user_id}-{n}", user_id=user_id,
                     type="timed", priority="normal", timeout_seconds=10)
        for n in range(count)
    ]  # fmt: skip


def _picked(connection: redis.Redis) -> list[str]:
    dispatcher = Dispatcher(connection, {"free": 1})
    picked = []
    while (pick := dispatcher.pick("w")) is not None:
        picked.append(pick.job_id)
    return picked


def test_a_push_of_many_runs_activates_each_owner_once(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs(9, 1))  # Redis has the script from now on
    connection.config_resetstat()
    dispatch.enqueue(connection, _runs(1, 50) + _runs(2, 50))
    calls = connection.info("commandstats")
    assert calls["cmdstat_evalsha"]["calls"] == 2
    assert "cmdstat_script|exists" not in calls


def test_a_push_leaves_a_wake_token_per_run(connection: redis.Redis) -> None:
    # One token per owner would wake one idle worker for a whole batch; the others would sit
    # out their idle wait (source.IDLE_WAIT) while the batch waited.
    dispatch.enqueue(connection, _runs(1, 3) + _runs(2, 2))
    assert connection.llen(WAKE_KEY) == 5


def test_wake_tokens_are_bounded(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs(1, 1000))
    assert connection.llen(WAKE_KEY) == 64


def test_a_pick_that_finds_nothing_empties_the_wake_list(connection: redis.Redis) -> None:
    # The tokens of runs already picked would each wake an idle worker for an empty pick
    # (64 wake-ups per idle worker after a batch).
    dispatch.enqueue(connection, _runs(1, 3))
    assert len(_picked(connection)) == 3
    assert connection.llen(WAKE_KEY) == 0


def test_a_push_after_an_empty_pick_leaves_its_token(connection: redis.Redis) -> None:
    assert _picked(connection) == []
    dispatch.enqueue(connection, _runs(1, 1))
    assert connection.llen(WAKE_KEY) == 1


def test_pushed_runs_are_dispatched_in_order(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs(1, 5))
    assert _picked(connection) == [f"run-1-{n}" for n in range(5)]


def test_a_push_after_redis_lost_its_scripts_still_activates(connection: redis.Redis) -> None:
    dispatch.enqueue(connection, _runs(1, 1))
    _picked(connection)
    connection.script_flush()
    dispatch.enqueue(connection, _runs(2, 3))
    assert _picked(connection) == [f"run-2-{n}" for n in range(3)]


def test_a_queued_tier_is_recorded_after_redis_lost_its_scripts(connection: redis.Redis) -> None:
    connection.script_flush()
    with connection.pipeline() as pipe:
        dispatch.remember_tier(pipe, 7, "pro")
        dispatch.enqueue(connection, _runs(7, 1), pipeline=pipe)
        replies = execute_pipeline(connection, pipe)
    assert not any(isinstance(reply, Exception) for reply in replies)
    assert connection.hget("conveyor:fair:user:7", "tier") == b"pro"
