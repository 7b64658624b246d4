"""The fair dispatcher: which user's job a free worker runs next."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue

from conveyor_core.fair.queue import PRIORITIES, QUEUE_NAME_PREFIX, parse_queue_name
from conveyor_core.fair.scripts import ACTIVATE, FINISH, FORGET, PICK, POSITION, PREFIX, TIER
from conveyor_core.redis_connection import text

DEFAULT_COST = 1.0
"""Seconds of worker time charged for a user's job before any of their jobs has finished."""

COST_SMOOTHING = 0.3
"""Weight of the newest job in the moving estimate of a user's job cost."""

POSITION_MAX_USERS = 10_000
"""Most other users the position estimate looks at."""

CLAIMED_KEY = f"{PREFIX}claimed"
"""Sorted set of picked RQ job ids whose end is not yet reported, scored by pick time."""

WAKE_KEY = f"{PREFIX}wake"
"""List that gets a token per job pushed to a user's line; idle workers block on it. Bounded
at 64 tokens (``activate.lua``): idle workers beyond that find the work at their next idle
wait's end."""


@dataclass(frozen=True)
class Pick:
    """A job the dispatcher handed to a worker."""

    job_id: str
    queue_name: str
    user_id: str
    charged: float


def set_tier(connection: Any, user_id: int | str, tier: str, overwrite: bool = True) -> None:
    """Record a user's tier (``overwrite=False``: only if none is known yet).

    ``connection`` may be a pipeline. The owner of the truth (user-service) overwrites; job-api
    fills in the tier from the caller's token only when Redis knows none (a new or flushed key),
    so a token minted before a tier change cannot undo it.
    """
    TIER(keys=[], args=[PREFIX, str(user_id), tier, "1" if overwrite else "0"], client=connection)


def queue_tier(pipeline: Any, user_id: int | str, tier: str, overwrite: bool = True) -> None:
    """:func:`set_tier` as a bare ``EVALSHA`` on ``pipeline``: run it with :func:`execute`."""
    TIER.queue(pipeline, [], [PREFIX, str(user_id), tier, "1" if overwrite else "0"])


def queue_activate(pipeline: Any, user_id: int | str, pushed: int = 1) -> None:
    """Activate a user (see :meth:`Dispatcher.activate`) as a bare ``EVALSHA`` on
    ``pipeline``, after ``pushed`` jobs went in with a plain ``rq.Queue``: run it with
    :func:`execute`. Each pushed job wakes one idle worker."""
    ACTIVATE.queue(pipeline, [], [PREFIX, str(user_id), "", pushed])


class Dispatcher:
    """Weighted fair choice of the next job, atomic under any number of workers."""

    def __init__(self, connection: redis.Redis, weights: Mapping[str, int]) -> None:
        self.connection = connection
        self.weights = dict(weights)
        # Every pick carries the weights too, to write them back if Redis lost them.
        self._weight_args = [item for pair in self.weights.items() for item in pair]
        if self.weights:
            connection.hset(f"{PREFIX}weights", mapping=dict(self.weights.items()))  # type: ignore[arg-type]

    def set_tier(self, user_id: int | str, tier: str) -> None:
        """Record a user's tier; their next dispatch uses its weight."""
        set_tier(self.connection, user_id, tier)

    def activate(self, user_id: int | str, tier: str = "") -> None:
        """Make a user with queued jobs eligible for dispatch."""
        ACTIVATE(keys=[], args=[PREFIX, str(user_id), tier], client=self.connection)

    def pick(self, worker_name: str = "", first: str = "") -> Pick | None:
        """Pop the next job by weighted fair share, or ``None`` if nothing is queued.

        ``first`` names an RQ queue popped before any user's line, in the same round trip;
        a job from it comes back with no ``user_id`` and no charge. The pick restores this
        dispatcher's tier weights if Redis has none (it restarted without persistence)."""
        found = PICK(keys=[], args=self._pick_args(worker_name, first), client=self.connection)
        return self.picked(found)

    def queue_pick(self, pipeline: Any, worker_name: str = "", first: str = "") -> None:
        """:meth:`pick` as a bare ``EVALSHA`` on ``pipeline`` (run it with
        :func:`~conveyor_core.fair.execute_pipeline`); :meth:`picked` reads its reply."""
        PICK.queue(pipeline, [], self._pick_args(worker_name, first))

    @staticmethod
    def picked(reply: Any) -> Pick | None:
        """The :class:`Pick` a pick script answered, or ``None`` if nothing was queued."""
        if not reply:
            return None
        job_id, name, user_id, charged = (text(v) for v in reply)
        return Pick(job_id, name, user_id, float(charged))

    def _pick_args(self, worker_name: str, first: str) -> list[Any]:
        args = [PREFIX, Queue.redis_queue_namespace_prefix, time.time(), DEFAULT_COST]
        return [*args, worker_name, first, Queue.redis_queues_keys, *self._weight_args]

    def finish(self, job_id: str, elapsed: float, pipeline: Any = None) -> bool:
        """Settle a picked job's charge with the worker time it really took.

        Given a pipeline, the script is queued on it as a bare ``EVALSHA`` (run the pipeline
        with :func:`~conveyor_core.fair.execute_pipeline`) and ``True`` returned."""
        args = [PREFIX, job_id, elapsed, COST_SMOOTHING]
        if pipeline is not None:
            FINISH.queue(pipeline, [], args)
            return True
        return bool(FINISH(keys=[], args=args, client=self.connection))

    def unfinished_picks(self, older_than: float | None = None) -> list[str]:
        """Return ids of picked jobs whose end has not been reported (oldest first)."""
        upper = "+inf" if older_than is None else time.time() - older_than
        return [text(j) for j in self.connection.zrangebyscore(CLAIMED_KEY, 0, upper)]

    def drop_pick(self, job_id: str, pipeline: Any = None) -> None:
        """Forget a claim without charging (the job will be queued again)."""
        client = pipeline if pipeline is not None else self.connection
        client.delete(f"{PREFIX}claim:{job_id}")
        client.zrem(CLAIMED_KEY, job_id)

    def position(
        self, user_id: int | str, job_id: str, client: Any = None, priority: str = ""
    ) -> tuple[int, int] | None:
        """Return ``(place in the owner's line, dispatches ahead overall)``, 0-based.

        A job not (or not yet) in its owner's lines is ``None``, or, given its ``priority``,
        placed as if pushed now. With a pipeline as ``client`` the answer comes from
        ``execute()`` instead."""
        args = [
            PREFIX,
            Queue.redis_queue_namespace_prefix,
            str(user_id),
            job_id,
            DEFAULT_COST,
            POSITION_MAX_USERS,
            priority,
        ]
        if client is not None:  # queued on the pipeline; its execute() returns the answer
            POSITION(keys=[], args=args, client=client)
            return None
        found = POSITION(keys=[], args=args, client=self.connection)
        return None if found is None else (int(found[0]), int(found[1]))

    def repair_lines(self, batch: int = 500) -> int:
        """Activate users whose queues hold jobs pushed without activation; return how many.

        RQ's scheduler re-enqueues delayed jobs through a plain ``rq.Queue``: this sweep
        makes them dispatchable. It walks RQ's own set of queues in bounded batches, and
        takes the empty per-user queues out of it (a pick does so for the lines it empties;
        this catches lines emptied otherwise, such as by a cancel).
        """
        activated = 0
        prefix = Queue.redis_queue_namespace_prefix
        pattern = f"{prefix}{QUEUE_NAME_PREFIX}*"
        active = f"{PREFIX}active"
        empty: list[str] = []
        for key in self.connection.sscan_iter(Queue.redis_queues_keys, match=pattern, count=batch):
            owner = parse_queue_name(text(key)[len(prefix) :])
            if owner is None:
                continue
            if not self.connection.llen(key):
                empty.append(text(key))
            elif self.connection.zscore(active, owner[0]) is None:
                self.activate(owner[0])
                activated += 1
        for start in range(0, len(empty), batch):
            FORGET(keys=[], args=[Queue.redis_queues_keys, *empty[start : start + batch]],
                   client=self.connection)  # fmt: skip
        return activated

    def backlog(self, user_id: int | str) -> int:
        """Count a user's queued jobs across priorities."""
        prefix = Queue.redis_queue_namespace_prefix
        with self.connection.pipeline(transaction=False) as pipe:
            for priority in PRIORITIES:
                pipe.llen(f"{prefix}{QUEUE_NAME_PREFIX}{user_id}.{priority}")
            return sum(pipe.execute())

    def usage(self, user_id: int | str) -> float:
        """Return the worker seconds a user's finished jobs have used."""
        used = self.connection.hget(f"{PREFIX}user:{user_id}", "used")
        return float(used or 0)

    def tiers(self, user_ids: list[int]) -> dict[int, str]:
        """Return the tier each user is dispatched at (``free``, as pick.lua assumes, when
        none is recorded), in one round trip."""
        with self.connection.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.hget(f"{PREFIX}user:{user_id}", "tier")
            found = pipe.execute()
        pairs = zip(user_ids, found, strict=True)
        return {user: text(tier) if tier else "free" for user, tier in pairs}

    def active_users(self) -> int:
        """Count users with queued jobs."""
        return int(self.connection.zcard(f"{PREFIX}active"))

    def next_users(self, count: int) -> list[str]:
        """Return up to ``count`` users with queued jobs, next to be served first."""
        return [text(user) for user in self.connection.zrange(f"{PREFIX}active", 0, count - 1)]

    def recent(self) -> list[str]:
        """Return the owners of the last 1,000 dispatches, oldest first."""
        return [text(user) for user in self.connection.lrange(f"{PREFIX}recent", 0, -1)]

    def dispatches(self) -> int:
        """Count the jobs dispatched so far (since Redis last lost its data)."""
        return int(self.connection.get(f"{PREFIX}dispatches") or 0)

    def drop_stale_picks(self, older_than: float) -> int:
        """Forget claims older than ``older_than`` seconds (their worker died); return how many.

        The pick already charged an estimate, which stands; the job itself is run again by
        the jobs sweep, as a new run with a new claim.
        """
        stale = self.unfinished_picks(older_than)
        for job_id in stale:
            self.drop_pick(job_id)
        return len(stale)
