"""Keeping RQ's worker registry true: live workers in it, dead ones out within a sweep.

RQ lists a worker (``rq info``, rq-dashboard) while its key is in the registry set and its
hash exists; a SIGKILLed worker's hash lives on for RQ's worker TTL (8 minutes). Here each
worker's monitor thread keeps a short-lived alive key (:data:`ALIVE_KEY`, ``JOB_LEASE_SECONDS``
long, renewed every quarter of that, busy or idle) and RQ's heartbeat field; the sweep
(:func:`drop_dead`) takes out of the registry every job worker whose alive key has lapsed.
Liveness is a key's expiry, so no clock is compared across machines. A worker that was
taken out wrongly (its beats lost in a Redis outage, or Redis restarted empty) writes itself
back at its next beat.
"""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from typing import Any

import redis
from rq import Worker
from rq import worker_registration as registration
from rq.utils import now, utcformat
from rq.worker import BaseWorker

from conveyor_core.redis_connection import text

logger = logging.getLogger(__name__)

ALIVE_KEY = "conveyor:jobs:worker-alive:{name}"
"""Present while the job worker ``name`` beats; it lapses ``JOB_LEASE_SECONDS`` after death."""

DEATH_TTL = 60
"""Seconds a dropped worker's hash stays for a last look (RQ keeps a stopped one as long)."""


def alive_key(name: str) -> str:
    return ALIVE_KEY.format(name=name)


def register(worker: BaseWorker, pipeline: Any) -> None:
    """Queue on ``pipeline`` the worker's entries in RQ's registry, its queues included.

    ``rq info`` and rq-dashboard list workers through the queues they list: the job workers'
    own queue must be listed even when nothing was ever enqueued on it, or they would not
    show while a user has work waiting."""
    registration.register(worker, pipeline)
    for queue in worker.queues:
        pipeline.sadd(worker.queue_class.redis_queues_keys, queue.key)


class Presence:
    """One worker's beat: its alive key and RQ's heartbeat, in one round trip."""

    def __init__(self, worker: BaseWorker, lease: float) -> None:
        self.worker = worker
        self.lease_ms = max(int(lease * 1000), 100)
        self._lock = threading.Lock()
        self._gone = False

    def beat(self) -> None:
        """Say the worker is alive; write it back into RQ's registry if it was taken out."""
        worker = self.worker
        with self._lock:
            if self._gone:
                return
            with worker.connection.pipeline(transaction=False) as pipe:
                pipe.set(alive_key(worker.name), 1, px=self.lease_ms)
                pipe.hset(worker.key, "last_heartbeat", utcformat(now()))
                pipe.expire(worker.key, worker.worker_ttl + 60)
                pipe.sismember(worker.redis_workers_keys, worker.key)
                _, created, _, listed = pipe.execute()
            if created or not listed:  # its hash had gone, or the sweep took it out
                with worker.connection.pipeline() as pipe:
                    pipe.hdel(worker.key, "death")
                    pipe.hset(worker.key, mapping=worker.serialize())
                    register(worker, pipe)
                    pipe.execute()
                logger.warning("worker was missing from RQ's registry; registered again")

    def leave(self) -> None:
        """Stop beating (the worker deregisters next) and drop the alive key."""
        with self._lock:
            self._gone = True
            with suppress(redis.RedisError):  # it lapses on its own
                self.worker.connection.delete(alive_key(self.worker.name))


def drop_dead(connection: redis.Redis, queue_name: str) -> list[str]:
    """Take out of RQ's registry the workers of ``queue_name`` whose alive key has lapsed;
    return their names. Only job workers beat this way: other queues' workers are RQ's."""
    keys = sorted(
        text(k)
        for k in connection.smembers(registration.WORKERS_BY_QUEUE_KEY % queue_name)  # type: ignore[union-attr]
    )
    if not keys:
        return []
    prefix = Worker.redis_worker_namespace_prefix
    names = [key[len(prefix) :] for key in keys]
    with connection.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.exists(alive_key(name))
        flags: list[Any] = pipe.execute()
    dead = [(key, name) for key, name, flag in zip(keys, names, flags, strict=True) if not flag]
    if not dead:
        return []
    with connection.pipeline() as pipe:
        for key, _name in dead:
            pipe.srem(Worker.redis_workers_keys, key)
            pipe.srem(registration.WORKERS_BY_QUEUE_KEY % queue_name, key)
            pipe.hset(key, "death", utcformat(now()))
            pipe.expire(key, DEATH_TTL)
            pipe.delete(f"{key}:executions")
        pipe.execute()
    gone = [name for _key, name in dead]
    logger.warning("dropped dead workers from RQ's registry", extra={"workers": gone})
    return gone
