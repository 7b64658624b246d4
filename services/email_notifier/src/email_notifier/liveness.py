"""Which notifier processes are alive, so a dead one's delivery is redone in seconds.

RQ notices a job whose worker died only after the job's timeout plus a minute, at its next
registry maintenance. Here every ``python -m email_notifier`` keeps a short-lived Redis key
(:data:`ALIVE_KEY`) renewed by a background thread; a delivery RQ still lists as started by a
worker whose key has lapsed was abandoned (SIGKILL, OOM, a lost container), and
:func:`recover` puts it back at the front of the queue at once. Whoever picks it up still goes
through the sent-mail ledger, so even a wrong guess (a live worker whose key lapsed in a Redis
outage) cannot send an email twice: it only makes a second attempt wait for the first.
"""

from __future__ import annotations

import logging
import threading
from contextlib import suppress

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

log = logging.getLogger(__name__)

ALIVE_KEY = "conveyor:email-notifier:alive:{name}"
"""Present while the notifier worker ``name`` runs (it expires when the process dies)."""

MAX_RECOVERIES = 3
"""Times one delivery is put back after its worker died; after that RQ's own abandoned-job
handling (retries, then the failed registry) takes over, so a message that kills every
notifier that tries it cannot loop for ever."""


def alive_key(name: str) -> str:
    """Name the key that says worker ``name`` is alive."""
    return ALIVE_KEY.format(name=name)


def is_alive(connection: redis.Redis, name: str) -> bool:
    """Whether worker ``name`` renewed its key within the last TTL."""
    return bool(connection.exists(alive_key(name)))


def recover(connection: redis.Redis, queue: Queue) -> list[str]:
    """Put back at the front of ``queue`` each started delivery whose worker is dead.

    Safe to run from any number of notifiers at once: removing the started-registry entry is
    the claim, and only the one notifier whose removal succeeded requeues the job.
    """
    registry = StartedJobRegistry(queue.name, connection=connection)
    recovered = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            execution = Execution.fetch(execution_id, job_id, connection)
            if not execution.worker_name or is_alive(connection, execution.worker_name):
                continue
            job = Job.fetch(job_id, connection=connection)
        except (ValueError, NoSuchJobError):
            continue  # already expired: RQ's own maintenance deals with what is left
        if job.get_status(refresh=False) != JobStatus.STARTED:
            continue
        recoveries = int(job.meta.get("recoveries", 0))
        if recoveries >= MAX_RECOVERIES:
            continue
        if not connection.zrem(registry.key, execution.composite_key):
            continue  # another notifier recovered it first
        job.meta["recoveries"] = recoveries + 1
        job.save_meta()
        queue.enqueue_job(job, at_front=True)
        log.warning(
            "redelivering %s: its worker %s died during the delivery",
            job_id,
            execution.worker_name,
            extra={"worker_name": execution.worker_name},
        )
        recovered.append(job_id)
    return recovered


class Pulse:
    """Keeps this worker's alive key and, on the same beat, recovers dead workers' jobs."""

    def __init__(self, connection: redis.Redis, name: str, queue: Queue, ttl: float) -> None:
        self.connection = connection
        self.name = name
        self.queue = queue
        self.ttl = ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifier-pulse", daemon=True)

    def beat(self) -> None:
        """Say this worker is alive for another ``ttl`` seconds."""
        self.connection.set(alive_key(self.name), 1, px=max(int(self.ttl * 1000), 1))

    def start(self) -> None:
        """Beat once now (before any job is taken), then every third of the TTL."""
        self.beat()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.beat()
                recover(self.connection, self.queue)
            except redis.RedisError as error:  # the next beat tries again
                log.warning("notifier pulse failed", extra={"error": str(error)})

    def stop(self) -> None:
        """Stop beating and drop the key: this worker has left."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.ttl)
        with suppress(redis.RedisError):  # it expires on its own anyway
            self.connection.delete(alive_key(self.name))
