"""Where a free worker gets its next job: the control queue, then the fair dispatcher.

The control queue (scheduled releases) is read first: its jobs are tiny and move other jobs
into their lines. Then :meth:`Dispatcher.pick` pops the next job by weighted fair share, in
one atomic Lua step shared by every worker on every machine; both in one round trip. With
nothing to do, the worker blocks on the control queue and the dispatcher's wake list at
once, so a push wakes it at once without polling; its pick rides behind that wait, in the
same round trip.

A worker ending a job picks its next one in the end's own round trip (:meth:`queue_take`,
then :meth:`took`): the pick that follows a job's end is then never a round trip of its
own. A held pick the worker will not run (it stops, or ``rq suspend`` holds it) goes back to
the head of its line (:meth:`give_back`); one a SIGKILL loses is queued again by the
reconciler's sweep, as a pick lost before its claim always was.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import redis
from rq import Queue
from rq.job import Job as RQJob

from conveyor_core.fair import (
    WAKE_KEY,
    Dispatcher,
    FairQueue,
    Pick,
    execute_pipeline,
    queue_activate,
)
from conveyor_core.jobs.keys import CONTROL_QUEUE
from conveyor_core.redis_connection import text

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
        self.held: Pick | None = None
        """A pick made in a job's end round trip, not yet handed out."""
        self._empty = False
        """The pick of the end round trip found nothing: the next wait skips a pick."""

    def next(self, block: float | None) -> Found | None:
        """Return the next job, waiting up to ``block`` seconds (``None``: do not wait)."""
        found: Found | None = None
        if self.held is not None:
            held, self.held = self.held, None
            found = self._found(held)
        elif self._empty:
            if block is None:
                return None
            self._empty = False  # a push since the end's pick left a wake token: block on it
        else:
            found = self._take()
        if found is not None or block is None:
            return found
        return self._wait(block)

    def _wait(self, block: float) -> Found | None:
        """Block until a push wakes this worker (or ``block`` runs out), then pick, all in
        one round trip: Redis reads a client's next command only once its ``BLPOP`` has
        answered, so the pick sent behind it runs the moment the worker wakes (the pick's
        clock argument is then up to :data:`IDLE_WAIT` old, which only dates its claim
        earlier; stale claims are counted in hours)."""
        with self.connection.pipeline(transaction=False) as pipe:
            pipe.blpop([self.control.key, WAKE_KEY], timeout=min(block, IDLE_WAIT))
            self.dispatcher.queue_pick(pipe, self.worker_name, first=CONTROL_QUEUE)
            woken, reply = execute_pipeline(self.connection, pipe)
        pick = Dispatcher.picked(reply)
        if woken is not None:
            key, job_id = (text(part) for part in woken)
            if key == self.control.key:  # popped by the wait itself: the pick comes next
                self.held = pick
                return self._fetch(job_id)
        if pick is None:
            self._empty = True  # the pick emptied the wake list; the next push leaves a token
            return None
        return self._found(pick)

    def _found(self, pick: Pick) -> Found | None:
        """What a pick made ahead of its use hands out: a user's run as it is, a control job
        read from its RQ hash (or, that hash gone, the next pick)."""
        if pick.queue_name != CONTROL_QUEUE:
            return pick
        return self._fetch(pick.job_id) or self._take()

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

    def queue_take(self, pipeline: Any) -> int:
        """Queue the next pick on ``pipeline`` (a job's end); return its place there, whose
        reply goes to :meth:`took`."""
        place = len(pipeline)
        self.dispatcher.queue_pick(pipeline, self.worker_name, first=CONTROL_QUEUE)
        return place

    def took(self, reply: Any) -> None:
        """Keep what a pick queued by :meth:`queue_take` answered (an error: nothing known)."""
        if isinstance(reply, BaseException):
            return
        self.held = Dispatcher.picked(reply)
        self._empty = self.held is None

    def give_back(self) -> None:
        """Put a held pick back at the head of its line, its claim dropped and its owner
        active again (the estimate the pick charged stands, as for a run handed back)."""
        held, self.held, self._empty = self.held, None, False
        if held is None:
            return
        key = f"{Queue.redis_queue_namespace_prefix}{held.queue_name}"
        with self.connection.pipeline(transaction=False) as pipe:
            pipe.lpush(key, held.job_id)
            if held.queue_name != CONTROL_QUEUE:
                pipe.sadd(Queue.redis_queues_keys, key)
                self.dispatcher.drop_pick(held.job_id, pipe)
                queue_activate(pipe, held.user_id)
            execute_pipeline(self.connection, pipe)
