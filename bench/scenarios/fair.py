"""(d) Fair-dispatch cost: µs per dispatch (``pick`` + ``finish``) with 10 vs 10,000 users.

Uses ``conveyor_core.fair`` directly on the private Redis: every user is backlogged for
the whole drain (the drain is shorter than one round over the users), tiers mixed
free/pro/enterprise. A plain RQ queue popped with one ``LPOP`` per job is the floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import redis

from ..context import Bench
from ..exceptions import Unavailable
from ..results import CONVEYOR
from . import shares
from .common import attempt, rotated, say

USERS = (10, 10_000)
JOBS = 20_000
"""Jobs queued before each drain, spread evenly over the users."""

TIERS = ("free", "pro", "enterprise")
WEIGHTS = {"free": 1, "pro": 3, "enterprise": 9}
CHUNK = 1000
PLAIN = "plain RQ queue (one LPOP)"
SECTION = "(d) Fair-dispatch cost, pick + finish per job"


def variant(users: int) -> str:
    return f"{users:,} backlogged users"


def _fill(connection: redis.Redis, users: int) -> None:
    try:
        from conveyor_core.fair import Dispatcher, FairQueue, queue_name
    except ImportError as error:
        raise Unavailable(f"conveyor_core.fair is missing: {error}") from None
    dispatcher = Dispatcher(connection, WEIGHTS)
    per_user = JOBS // users
    queues = [FairQueue(queue_name(uid), connection=connection) for uid in range(1, users + 1)]
    pushes = [(q, f"{q.name}-{n}") for n in range(per_user) for q in queues]
    for uid in range(1, users + 1):
        dispatcher.set_tier(uid, TIERS[uid % len(TIERS)])
    for start in range(0, len(pushes), CHUNK):
        with connection.pipeline(transaction=False) as pipe:
            for queue, job_id in pushes[start : start + CHUNK]:
                queue.push_job_id(job_id, pipeline=pipe)
            pipe.execute()
    if dispatcher.active_users() != users:
        raise Unavailable(f"{dispatcher.active_users()} users active after filling {users}")


def _fair(bench: Bench, users: int) -> float:
    from conveyor_core.fair import Dispatcher

    bench.flush_peers()
    connection = bench.peer_redis()
    try:
        _fill(connection, users)
        dispatcher = Dispatcher(connection, WEIGHTS)
        count = min(bench.config.fair_dispatches, JOBS)
        start = time.perf_counter()
        for _ in range(count):
            pick = dispatcher.pick("bench")
            if pick is None:
                raise Unavailable("the dispatcher ran dry before the drain ended")
            dispatcher.finish(pick.job_id, 0.001)
        elapsed = time.perf_counter() - start
        if dispatcher.active_users() < users:
            raise Unavailable("some users were drained: the measurement is not all-backlogged")
        return elapsed / count * 1e6
    finally:
        connection.close()


def _plain(bench: Bench) -> float:
    bench.flush_peers()
    connection = bench.peer_redis()
    try:
        key = "rq:queue:plain"
        for start in range(0, JOBS, CHUNK):
            connection.rpush(key, *(f"job-{n}" for n in range(start, start + CHUNK)))
        count = min(bench.config.fair_dispatches, JOBS)
        started = time.perf_counter()
        for _ in range(count):
            connection.lpop(key)
        return (time.perf_counter() - started) / count * 1e6
    finally:
        connection.close()


def run(bench: Bench) -> None:
    shares.run(bench)
    for rep in range(bench.config.repeat):
        for users in rotated(list(USERS), rep):
            plans: list[tuple[str, Callable[[], float]]] = [
                (CONVEYOR, partial(_fair, bench, users)),
                (PLAIN, partial(_plain, bench)),
            ]
            for system, measure in plans:
                row = bench.results.get("d", SECTION, system, variant(users), "µs", False)
                say(f"(d) rep {rep + 1}: {system}, {variant(users)}")
                value = attempt(bench, [row], measure)
                if value is not None:
                    row.add(value)
                    say(f"(d)   {value:.1f} µs per dispatch")
