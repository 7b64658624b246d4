"""An idle worker's wait (``JobSource``): the pick rides behind the blocking wait, on a real
Redis; a control job the wait pops keeps that pick for next."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from rq import Queue

from conveyor_core.fair import Dispatcher, Pick
from conveyor_core.jobs import dispatch
from conveyor_core.jobs.keys import CONTROL_QUEUE, RELEASE_FUNCTION
from conveyor_testing import wait_for
from worker.source import Found, JobSource

USER_ID = 7


def _run(number: int) -> dispatch.Run:
    return dispatch.Run(job_id=f"job-{number}", run_id=f"run-{number}", user_id=USER_ID,
                        type="timed", priority="normal", timeout_seconds=10)  # fmt: skip


class CountingConnection(redis.Connection):
    """A plain connection that counts what it sends: each send is one round trip."""

    sends = 0

    def send_packed_command(self, command: object, check_health: bool = True) -> None:
        type(self).sends += 1
        super().send_packed_command(command, check_health)  # type: ignore[arg-type]


@pytest.fixture
def source(redis_url: str) -> Iterator[JobSource]:
    client = redis.Redis.from_url(redis_url, connection_class=CountingConnection)
    dispatcher = Dispatcher(client, {"free": 1})
    dispatcher.pick("warm-up")  # the script is loaded from here on
    CountingConnection.sends = 0
    yield JobSource(client, dispatcher, "worker-1")
    client.close()


def _blocked(connection: redis.Redis) -> bool:
    return any(client["cmd"] == "blpop" for client in connection.client_list())


def test_a_push_wakes_the_wait_and_its_pick_comes_in_the_same_round_trip(
    connection: redis.Redis, source: JobSource
) -> None:
    found: list[Found | None] = []
    waiting = threading.Thread(target=lambda: found.append(source.next(block=5)))
    waiting.start()
    wait_for(lambda: _blocked(connection), what="the worker to block")
    dispatch.enqueue(connection, [_run(1)])
    waiting.join(timeout=10)
    assert [getattr(each, "job_id", None) for each in found] == ["run-1"]
    assert CountingConnection.sends == 2  # the first look, then the wait with its pick


def test_a_wait_that_finds_nothing_does_not_pick_again_before_the_next_wait(
    source: JobSource,
) -> None:
    assert source.next(block=0.1) is None  # the first look, then the wait runs out and picks
    assert source.next(block=None) is None  # that pick emptied the wake list: nothing to ask
    assert CountingConnection.sends == 2


def test_a_control_job_popped_by_the_wait_keeps_the_pick_for_next(
    connection: redis.Redis, source: JobSource
) -> None:
    source.next(block=0.1)  # an empty pick: the next call goes straight to the wait
    dispatch.enqueue(connection, [_run(2)])
    control = Queue(CONTROL_QUEUE, connection=connection).enqueue(RELEASE_FUNCTION, "job-9")
    found = source.next(block=5)
    assert isinstance(found, tuple) and found[0].id == control.id
    held = source.next(block=None)
    assert isinstance(held, Pick) and held.job_id == "run-2"
