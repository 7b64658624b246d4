"""(d) Fair shares: who the dispatcher serves, in the scenarios the fairness tests check.

Workers are simulated on a virtual clock (each takes the next job when its current one ends),
so the figures show the scheduling policy itself, free of machine noise; the tests in
``services/worker/tests/test_worker_fairness.py`` check the same with real processes.
"""

from __future__ import annotations

import heapq
from collections import Counter

import redis

from ..context import Bench
from ..results import CONVEYOR
from .common import attempt, say

SECTION = "(d) Fair shares (simulated workers on a virtual clock)"
WEIGHTS = {"free": 1, "pro": 3, "enterprise": 9}
BACKLOG = 400
"""Jobs queued per user before a scenario starts."""


def _fill(connection: redis.Redis, users: dict[int, str]) -> None:
    from conveyor_core.fair import Dispatcher, FairQueue, queue_name

    dispatcher = Dispatcher(connection, WEIGHTS)
    with connection.pipeline() as pipe:
        for uid, tier in users.items():
            dispatcher.set_tier(uid, tier)
            queue = FairQueue(queue_name(uid), connection=connection)
            for n in range(BACKLOG):
                queue.push_job_id(f"{uid}-{n}", pipeline=pipe)
        pipe.execute()


def _simulate(
    bench: Bench, users: dict[int, str], length: dict[str, float], dispatches: int, workers: int = 2
) -> tuple[list[str], dict[str, float]]:
    """Run ``dispatches`` picks; return the order of owners and each owner's worker time."""
    from conveyor_core.fair import Dispatcher

    bench.flush_peers()
    connection = bench.peer_redis()
    try:
        _fill(connection, users)
        dispatcher = Dispatcher(connection, WEIGHTS)
        free_at: list[tuple[float, int]] = [(0.0, n) for n in range(workers)]
        running: list[tuple[float, str, str]] = []
        order: list[str] = []
        used: dict[str, float] = dict.fromkeys(length, 0.0)
        while len(order) < dispatches:
            now, worker = heapq.heappop(free_at)
            while running and running[0][0] <= now:  # jobs that ended by now report first
                _, job_id, owner = heapq.heappop(running)
                dispatcher.finish(job_id, length[owner])
            pick = dispatcher.pick("bench")
            if pick is None:
                break
            order.append(pick.user_id)
            used[pick.user_id] += length[pick.user_id]
            heapq.heappush(running, (now + length[pick.user_id], pick.job_id, pick.user_id))
            heapq.heappush(free_at, (now + length[pick.user_id], worker))
        return order, used
    finally:
        connection.close()


def _record(bench: Bench, variant: str, unit: str, value: float) -> None:
    bench.results.get("d", SECTION, CONVEYOR, variant, unit).add(value)
    say(f"(d)   {variant}: {value:.1f} {unit}")


def _shares(bench: Bench) -> None:
    order, _ = _simulate(bench, {1: "pro", 2: "free"}, {"1": 0.1, "2": 0.1}, 200)
    counts = Counter(order)
    _record(bench, "3:1 pro's share of 200 (ideal 75)", "%", 100 * counts["1"] / len(order))
    _record(bench, "3:1 free's share of 200 (ideal 25)", "%", 100 * counts["2"] / len(order))
    tiers = {1: "free", 2: "pro", 3: "enterprise"}
    order, _ = _simulate(bench, tiers, dict.fromkeys("123", 0.1), 260)
    counts = Counter(order)
    for uid, ideal in (("1", 1), ("2", 3), ("3", 9)):
        share = 100 * counts[uid] / len(order)
        _record(
            bench, f"1:3:9 {tiers[int(uid)]}'s share (ideal {100 * ideal / 13:.1f})", "%", share
        )
    turns = [n for n, owner in enumerate(order) if owner == "1"]
    gaps = [b - a for a, b in zip([-1, *turns], turns, strict=False)]
    _record(bench, "1:3:9 free user's longest wait (bound 14)", "dispatches", max(gaps))
    _, used = _simulate(bench, {1: "free", 2: "free"}, {"1": 0.2, "2": 0.05}, 400)
    label = "equal weights, 0.2 s vs 0.05 s jobs: worker-time ratio (ideal 1)"
    _record(bench, label, "ratio", used["1"] / used["2"])


def run(bench: Bench) -> None:
    for rep in range(bench.config.repeat):
        say(f"(d) rep {rep + 1}: fair shares")
        attempt(bench, [], lambda: _shares(bench))
