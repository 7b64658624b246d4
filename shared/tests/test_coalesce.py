"""Coalescing: an interruption of the serving caller does not take its group down with it."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor_shared.coalesce import Coalescer
from conveyor_shared.jobs.testing import wait_for


class Interrupted(BaseException):
    """Stands for ``GreenletExit`` or ``gevent.Timeout``: meant for one caller only."""


class Handler:
    """Holds the first group until opened; interrupts the second group's call once."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.entered = threading.Event()
        self.open = threading.Event()

    def __call__(self, items: Sequence[str]) -> Mapping[str, str]:
        self.groups.append(list(items))
        self.entered.set()
        assert self.open.wait(10), "the first group was never let through"
        if len(self.groups) == 2:
            raise Interrupted
        return {item: f"served {item}" for item in items}


def test_an_interrupted_leader_leaves_its_group_to_the_next() -> None:
    handler = Handler()
    coalescer: Coalescer[str, str] = Coalescer(handler)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(coalescer.submit, "first")
        assert handler.entered.wait(10)
        later = {item: pool.submit(coalescer.submit, item) for item in ("a", "b", "c")}
        wait_for(lambda: len(coalescer._pending) == 3, what="calls queued behind the first")
        handler.open.set()
        assert first.result(10) == {"first": "served first"}
        interrupted = []
        for item, future in later.items():
            try:
                assert future.result(10)[item] == f"served {item}"
            except Interrupted:
                interrupted.append(item)
    assert len(interrupted) == 1
    assert sorted(handler.groups[2]) == sorted({"a", "b", "c"} - set(interrupted))


def test_an_error_reaches_every_caller_of_the_group() -> None:
    def fail(items: Sequence[str]) -> Mapping[str, str]:
        raise RuntimeError("redis down")

    with pytest.raises(RuntimeError, match="redis down"):
        Coalescer(fail).submit("only")
