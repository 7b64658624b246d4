"""Where a free worker gets its next job: the control queue, then the fair dispatcher.

The control queue (scheduled releases) is read first: its jobs are tiny and move other jobs
into their lines. Then :meth:`Dispatcher.pick` pops the next job by weighted fair share, in
one atomic Lua step shared by every worker on every machine. With nothing to do, the worker
blocks on the control queue and the dispatcher's wake list at once, so a push wakes it at
once without polling.
"""

from __future__ import annotations

import logging

import redis
from rq import Queue
from rq.job import Job as RQJob

from conveyor_shared.fair import WAKE_KEY, Dispatcher, FairQueue
from conveyor_shared.jobs.keys import CONTROL_QUEUE

logger = logging.getLogger(__name__)

MIN_CHARGE = 0.005
"""Least worker time, in seconds, a dispatched job is charged."""

IDLE_WAIT = 2
"""Longest single block while idle, in seconds (under the client's socket timeout); a lost
wake token costs at most this."""


class JobSource:
    """Hands one worker its next RQ job and queue."""

    def __init__(self, connection: redis.Redis, dispatcher: Dispatcher, worker_name: str) -> None:
        self.connection = connection
        self.dispatcher = dispatcher
        self.worker_name = worker_name
        self.control = FairQueue(CONTROL_QUEUE, connection=connection)

    def next(self, block: float | None) -> tuple[RQJob, Queue] | None:
        """Return the next job, waiting up to ``block`` seconds (``None``: do not wait)."""
        found = self._take()
        if found is not None or block is None:
            return found
        woken = self.connection.blpop([self.control.key, WAKE_KEY], timeout=min(block, IDLE_WAIT))
        if woken is not None:
            key, job_id = (part.decode() if isinstance(part, bytes) else part for part in woken)
            if key == self.control.key:
                return self._fetch(key, job_id)
        return self._take()

    def _take(self) -> tuple[RQJob, Queue] | None:
        found = FairQueue.dequeue_any([self.control], None, connection=self.connection)
        if found is not None:
            return found
        # Bounded: a picked job whose RQ hash is gone (deleted meanwhile) is skipped.
        for _ in range(16):
            pick = self.dispatcher.pick(self.worker_name)
            if pick is None:
                return None
            found = self._fetch(f"{Queue.redis_queue_namespace_prefix}{pick.queue_name}",
                                pick.job_id)  # fmt: skip
            if found is not None:
                return found
            logger.warning("picked job no longer exists", extra={"rq_job": pick.job_id})
            self.dispatcher.release(pick.job_id)
        return None

    def _fetch(self, queue_key: str, job_id: str) -> tuple[RQJob, Queue] | None:
        return FairQueue._fetch_dequeued_job(self.connection, queue_key, job_id)

    def settle(self, queue: Queue, job_id: str, elapsed: float) -> None:
        """Charge the job's owner the time it ran (control jobs are free).

        The charge is the handler's time, the ``time_spent_seconds`` the owner sees, with a
        floor: the few milliseconds of bookkeeping around each job are the platform's, but a
        flood of empty jobs still pays for every dispatch it takes."""
        if queue.name != CONTROL_QUEUE:
            self.dispatcher.finish(job_id, max(elapsed, MIN_CHARGE))
