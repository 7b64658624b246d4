"""The fair dispatcher on a real Redis, driven by simulated workers."""

from __future__ import annotations

import heapq
import threading
from collections import Counter

import pytest
import redis
from rq import Queue

from conveyor_core.fair import Dispatcher, FairQueue, queue_name
from conveyor_testing.redis_server import RedisServer

WEIGHTS = {"free": 1, "pro": 3, "enterprise": 9}


@pytest.fixture
def dispatcher(connection: redis.Redis) -> Dispatcher:
    return Dispatcher(connection, WEIGHTS)


def fill(
    connection: redis.Redis, user: int, count: int, tier: str = "free", priority: str = "normal"
) -> list[str]:
    Dispatcher(connection, {}).set_tier(user, tier)
    queue = FairQueue(queue_name(user, priority), connection=connection)
    ids = [f"u{user}-{priority}-{n}" for n in range(count)]
    with connection.pipeline() as pipe:
        for job_id in ids:
            queue.push_job_id(job_id, pipeline=pipe)
        pipe.execute()
    return ids


def drain(dispatcher: Dispatcher, count: int, cost: float = 0.1) -> list[str]:
    """One worker: pick, run for ``cost`` seconds of worker time, report, repeat."""
    users = []
    for _ in range(count):
        pick = dispatcher.pick()
        assert pick is not None
        dispatcher.finish(pick.job_id, cost)
        users.append(pick.user_id)
    return users


def test_nothing_queued_gives_none(dispatcher: Dispatcher) -> None:
    assert dispatcher.pick() is None


def test_weights_3_to_1_share_the_first_200_dispatches(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    fill(connection, 1, 300, tier="pro")
    fill(connection, 2, 300, tier="free")
    shares = Counter(drain(dispatcher, 200))
    assert abs(shares["1"] / 200 - 0.75) <= 0.05
    assert abs(shares["2"] / 200 - 0.25) <= 0.05


def test_weights_redis_lost_in_a_restart_are_restored_by_the_next_pick(
    connection: redis.Redis, dispatcher: Dispatcher, redis_server: RedisServer
) -> None:
    redis_server.kill()  # no persistence: the weights the dispatcher wrote at start are gone
    redis_server.start()
    fill(connection, 1, 300, tier="pro")  # activated while every tier weighs 1
    fill(connection, 2, 300, tier="free")
    shares = Counter(drain(dispatcher, 200))
    assert abs(shares["1"] / 200 - 0.75) <= 0.05
    assert connection.hgetall("conveyor:fair:weights") == {
        tier.encode(): str(weight).encode() for tier, weight in WEIGHTS.items()
    }


def test_weights_1_3_9_share_dispatches(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    for user, tier in ((1, "free"), (2, "pro"), (3, "enterprise")):
        fill(connection, user, 300, tier=tier)
    shares = Counter(drain(dispatcher, 260))
    for user, weight in (("1", 1), ("2", 3), ("3", 9)):
        assert abs(shares[user] / 260 - weight / 13) <= 0.05


def test_free_user_is_never_starved(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    for user, tier in ((1, "free"), (2, "pro"), (3, "enterprise")):
        fill(connection, user, 300, tier=tier)
    order = drain(dispatcher, 250)
    bound = 13 // 1 + 1  # sum of active weights / its weight + 1
    turns = [i for i, user in enumerate(order) if user == "1"]
    gaps = [b - a for a, b in zip([-1, *turns], turns, strict=False)]
    assert max(gaps) <= bound


def test_equal_weights_get_equal_worker_time_whatever_the_job_length(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    length = {"1": 0.2, "2": 0.05}
    fill(connection, 1, 2000)
    fill(connection, 2, 2000)
    # Two simulated workers on a virtual clock: each takes the next job when it frees up.
    free_at = [(0.0, 0), (0.0, 1)]
    used: Counter[str] = Counter()
    horizon = 60.0
    while free_at[0][0] < horizon:
        now, worker = heapq.heappop(free_at)
        pick = dispatcher.pick()
        assert pick is not None
        dispatcher.finish(pick.job_id, length[pick.user_id])
        used[pick.user_id] += length[pick.user_id]
        heapq.heappush(free_at, (now + length[pick.user_id], worker))
    assert abs(used["1"] - used["2"]) / max(used.values()) <= 0.10


def test_priorities_order_one_users_jobs(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    low = fill(connection, 1, 2, priority="low")
    normal = fill(connection, 1, 2, priority="normal")
    high = fill(connection, 1, 2, priority="high")
    picked = [dispatcher.pick() for _ in range(6)]
    assert [p.job_id for p in picked if p] == high + normal + low


def test_concurrent_pickers_take_each_job_exactly_once(
    redis_url: str, connection: redis.Redis
) -> None:
    expected = set()
    for user in range(20):
        expected.update(fill(connection, user, 100, tier="pro" if user % 2 else "free"))
    taken: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        client = redis.Redis.from_url(redis_url)
        dispatcher = Dispatcher(client, WEIGHTS)
        mine = []
        for _ in range(len(expected)):  # bounded: never more picks than jobs
            pick = dispatcher.pick()
            if pick is None:
                break
            dispatcher.finish(pick.job_id, 0.01)
            mine.append(pick.job_id)
        with lock:
            taken.extend(mine)
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == len(expected)
    assert set(taken) == expected


def test_idle_user_cannot_bank_credit(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    fill(connection, 1, 200)
    drain(dispatcher, 100)
    fill(connection, 2, 100)  # arrives late, at equal weight: shares from now on, no catch-up
    shares = Counter(drain(dispatcher, 40))
    assert abs(shares["1"] - shares["2"]) <= 2


def test_tier_change_applies_to_the_next_dispatches(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    fill(connection, 1, 200)
    fill(connection, 2, 200)
    drain(dispatcher, 20)
    dispatcher.set_tier(1, "enterprise")
    shares = Counter(drain(dispatcher, 100))
    assert shares["1"] >= 85


def test_canceled_jobs_are_skipped(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    (only,) = fill(connection, 1, 1)
    later = fill(connection, 2, 1)
    FairQueue(queue_name(1), connection=connection).remove(only)
    pick = dispatcher.pick()
    assert pick is not None and pick.job_id == later[0]
    assert dispatcher.pick() is None


def test_reconcile_activates_jobs_pushed_by_a_plain_rq_queue(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    plain = Queue(queue_name(5), connection=connection)
    connection.sadd(Queue.redis_queues_keys, plain.key)
    plain.push_job_id("from-the-scheduler")
    assert dispatcher.pick() is None
    assert dispatcher.repair_lines() == 1
    pick = dispatcher.pick()
    assert pick is not None and pick.job_id == "from-the-scheduler"


def test_enqueue_through_rq_makes_the_job_dispatchable(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    queue = FairQueue(queue_name(9, "high"), connection=connection)
    job = queue.enqueue("builtins.len", "abc")
    pick = dispatcher.pick()
    assert pick is not None
    assert (pick.job_id, pick.queue_name, pick.user_id) == (job.id, "user.9.high", "9")


def test_unfinished_picks_stay_claimed_until_finished(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    fill(connection, 1, 2)
    first = dispatcher.pick()
    assert first is not None
    assert dispatcher.unfinished_picks() == [first.job_id]
    dispatcher.finish(first.job_id, 0.5)
    assert dispatcher.unfinished_picks() == []
    assert dispatcher.usage(1) == pytest.approx(0.5)


def test_position_counts_own_line_and_others_ahead(
    connection: redis.Redis, dispatcher: Dispatcher
) -> None:
    mine = fill(connection, 1, 5)
    fill(connection, 2, 50, tier="pro")
    own, ahead = dispatcher.position(1, mine[3]) or (None, None)
    assert own == 3
    # Three of my jobs first, and the pro user gets about three turns for each of mine.
    assert 3 + 3 * 3 - 3 <= ahead <= 3 + 3 * 4
    assert dispatcher.position(1, "not-queued") is None


def test_position_is_truthful(connection: redis.Redis, dispatcher: Dispatcher) -> None:
    mine = fill(connection, 1, 5)
    fill(connection, 2, 50, tier="pro")
    _, ahead = dispatcher.position(1, mine[3]) or (0, 0)
    order = [p.job_id for p in (dispatcher.pick() for _ in range(40)) if p]
    assert abs(order.index(mine[3]) - ahead) <= 2
