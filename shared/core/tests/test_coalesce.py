"""Coalescing (``conveyor_core.coalesce``): calls arriving while one is served share the
next round; an error reaches the whole group, an interruption only the caller it was for."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from conveyor_core.coalesce import Coalescer
from conveyor_testing import wait_for


class Interrupted(BaseException):
    """Stands for ``GreenletExit`` or ``gevent.Timeout``: meant for one caller only."""


class Gate:
    """A handler that records each group and holds the first one until opened; a group
    holding "bad" fails, one holding "down" fails as an outage, and the group number
    ``interrupt`` is interrupted."""

    def __init__(self, interrupt: int = 0) -> None:
        self.groups: list[list[str]] = []
        self.entered = threading.Event()
        self.open = threading.Event()
        self.interrupt = interrupt

    def __call__(self, items: Sequence[str]) -> Mapping[str, int]:
        self.groups.append(list(items))
        self.entered.set()
        assert self.open.wait(10), "the gate was never opened"
        if len(self.groups) == self.interrupt:
            raise Interrupted
        if "down" in items:
            raise ConnectionError("connection lost")
        if "bad" in items:
            raise RuntimeError("disk full")
        return {item: n for n, item in enumerate(items, 1)}


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def _while_first_is_served(
    pool: ThreadPoolExecutor, gate: Gate, later: list[str], first_item: str = "first"
) -> tuple[Future[Mapping[str, int]], list[Future[Mapping[str, int]]]]:
    """Submit ``first_item``, then ``later`` while its call is held open; then open it."""
    coalescer: Coalescer[str, str] = Coalescer(gate, outage=(ConnectionError,))
    first = pool.submit(coalescer.submit, first_item)
    assert gate.entered.wait(10)
    waiting = [pool.submit(coalescer.submit, item) for item in later]
    wait_for(lambda: len(coalescer._pending) == len(later), what="calls queued behind")
    gate.open.set()
    return first, waiting


def test_a_lone_call_is_served_at_once() -> None:
    gate = Gate()
    gate.open.set()
    assert Coalescer(gate).submit("only") == {"only": 1}
    assert gate.groups == [["only"]]


def test_calls_arriving_while_one_is_served_share_the_next(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    first, waiting = _while_first_is_served(pool, gate, ["a", "b", "c"])
    assert first.result(10) == {"first": 1}
    outcomes = [future.result(10) for future in waiting]
    assert gate.groups[0] == ["first"]
    assert sorted(gate.groups[1]) == ["a", "b", "c"] and len(gate.groups) == 2
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_an_error_fails_every_call_of_its_group(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    first, waiting = _while_first_is_served(pool, gate, ["a", "bad"])
    assert first.result(10) == {"first": 1}
    for future in waiting:
        with pytest.raises(RuntimeError, match="disk full"):
            future.result(10)


def test_an_outage_also_fails_the_calls_that_waited_on_it(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    first, waiting = _while_first_is_served(pool, gate, ["a", "b"], first_item="down")
    for future in [first, *waiting]:
        with pytest.raises(ConnectionError, match="connection lost"):
            future.result(10)
    assert gate.groups == [["down"]]  # nobody tried the dead resource a second time


def test_the_group_after_a_failed_one_is_served() -> None:
    gate = Gate()
    gate.open.set()
    coalescer: Coalescer[str, str] = Coalescer(gate)
    with pytest.raises(RuntimeError):
        coalescer.submit("bad")
    assert coalescer.submit("good") == {"good": 1}


def test_an_interrupted_leader_leaves_its_group_to_the_next(pool: ThreadPoolExecutor) -> None:
    gate = Gate(interrupt=2)
    first, waiting = _while_first_is_served(pool, gate, ["a", "b", "c"])
    assert first.result(10) == {"first": 1}
    interrupted, served = [], []
    for item, future in zip(["a", "b", "c"], waiting, strict=True):
        try:
            outcome = future.result(10)
        except Interrupted:
            interrupted.append(item)
        else:
            assert item in outcome
            served.append(item)
    assert len(interrupted) == 1 and len(served) == 2
    assert sorted(gate.groups[2]) == served
