"""Where a free worker gets its next job: the control queue, then the fair dispatcher.

The control queue (scheduled releases) is read first: its jobs are tiny and move other jobs
into their lines. Then :meth:`Dispatcher.pick` pops the next job by weighted fair share, in
one atomic Lua step shared by every worker on every machine; both in one round trip. With
nothing to do, the worker blocks on the control queue and the dispatcher's wake list at
once, so a push wakes it at once without polling.
"""

from __future__ import annotations

from typing import TypeAlias

import redis
from rq import Queue
from rq.job import Job as RQJob

from conveyor_core.fair import WAKE_KEY, Dispatcher, FairQueue, Pick
from conveyor_core.jobs.keys import CONTROL_QUEUE

IDLE_WAIT = 2
"""Longest single block while idle, in seconds (under the client's socket timeout); a lost
wake token costs at most this."""

Found: TypeAlias = tuple[RQJob, Queue] | Pick
"""A control job, run by RQ itself, or a user's run picked by the dispatcher."""


class JobSource:
    """Hands one worker its next job."""

    def __init__(self, connection: redis.Redis, dispatcher: Dispatcher, worker_name: str) -> None:
        self.connection = connection
        self.dispatcher = dispatcher
        self.worker_name = worker_name
        self.control = FairQueue(CONTROL_QUEUE, connection=connection)

    def next(self, block: float | None) -> Found | None:
        """Return the next job, waiting up to ``block`` seconds (``None``: do not wait)."""
        found = self._take()
        if found is not None or block is None:
            return found
        woken = self.connection.blpop([self.control.key, WAKE_KEY], timeout=min(block, IDLE_WAIT))
        if woken is not None:
            key, job_id = (part.decode() if isinstance(part, bytes) else part for part in woken)
            if key == self.control.key:
                return self._fetch(job_id)
        return self._take()

    def _take(self) -> Found | None:
        # Bounded: a control job whose RQ hash is gone (deleted meanwhile) is skipped.
        for _ in range(16):
            pick = self.dispatcher.pick(self.worker_name, first=CONTROL_QUEUE)
            if pick is None or pick.queue_name != CONTROL_QUEUE:
                return pick
            found = self._fetch(pick.job_id)
            if found is not None:
                return found
        return None

    def _fetch(self, job_id: str) -> tuple[RQJob, Queue] | None:
        return FairQueue._fetch_dequeued_job(self.connection, self.control.key, job_id)
