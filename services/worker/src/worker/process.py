"""The RQ worker class: ``SimpleWorker`` (no fork per job) made safe to run jobs in-process.

Why not the forking ``Worker``: a fork per job costs ~25 ms submit-to-done against ~8 ms
(measured in ``docs/performance.md``: RQ's forking ``Worker`` runs ~30 jobs/s here) and
throughput is what later benchmarks measure. What the fork gives, this
class gets another way:

- timeouts: the monitor thread interrupts the job at ``timeout_seconds`` (RQ's own alarm,
  set a minute later, stays as a backstop);
- crash detection: the monitor renews a per-job lease; a dead process stops renewing and
  the sweep re-runs the job (RQ's heartbeat-based detection takes ~10 min by default);
- stopping one job: RQ's stop-job command calls :meth:`kill_horse`, which here interrupts
  the job instead of killing a child process;
- graceful shutdown: SIGTERM lets the job finish for ``JOB_SHUTDOWN_GRACE`` seconds, then
  hands it back to the queue uncharged; the process then exits;
- a Redis outage: the job's end is recorded in SQL alone (see :mod:`execution`), and RQ's
  own steps between two jobs (heartbeat, suspension check, maintenance) wait for Redis in
  the dequeue loop's backoff instead of ending the process.

RQ's scheduler runs in a thread rather than a forked process, so it dies with the worker
instead of outliving a SIGKILL as an orphan.

Jobs come from :class:`JobSource`: the control queue, then the fair dispatcher, which pops
from the per-user RQ queues. A control job goes through RQ's own machinery. A picked run is
taken straight to :func:`execution.attempt`, without RQ's per-job bookkeeping (what RQ
still records of it: :mod:`conveyor_core.rq_adapter`), and its worker time is charged to its
owner in the run's last round trip, with the worker's finished/failed counts that ``rq info``
shows and the pick of the worker's next job (see :mod:`source`): one round trip per job.
RQ's worker state writes happen when they change something, not several times per job; the
worker's heartbeat comes from the monitor thread, busy or idle (:mod:`presence`), and the
monitor's lease is what proves a job alive.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any

from rq import Queue
from rq.job import Job as RQJob
from rq.suspension import is_suspended
from rq.worker import WorkerStatus

from conveyor_core import rq_adapter
from conveyor_core.fair import Dispatcher, FairQueue, Pick
from conveyor_core.jobs import dispatch
from conveyor_core.jobs.status import CANCELED, COMPLETED, FAILED, QUEUED, SCHEDULED
from conveyor_core.redis_connection import OUTAGE
from conveyor_core.rq_worker import PromptSimpleWorker

from . import execution
from .exceptions import JobStopped
from .firing import Firing
from .monitor import Monitor
from .presence import Presence, register
from .runtime import Runtime
from .source import Found, JobSource

REDIS_RETRY_MAX = 30.0
"""Longest pause between attempts to reach a Redis that is down."""

DATABASE_RETRY_FIRST = 0.5
"""Seconds a worker waits after a run handed back because the database is unreachable;
each next hand-back in a row doubles it, up to :data:`DATABASE_RETRY_MAX`."""

DATABASE_RETRY_MAX = 10.0

SUSPENSION_CHECK_INTERVAL = 1.0
"""Seconds between two looks at ``rq suspend``'s flag (RQ looks before every job)."""

MIN_CHARGE = 0.005
"""Least worker time, in seconds, a dispatched job is charged: the few milliseconds of
bookkeeping around each job are the platform's, but a flood of empty jobs still pays for
every dispatch it takes."""


@contextmanager
def _unless_redis_is_down(worker: PromptSimpleWorker, step: str) -> Iterator[None]:
    """Skip an RQ step between two jobs while Redis is unreachable: the dequeue loop that
    follows backs off until Redis is back (RQ's own loop would end the process)."""
    try:
        yield
    except OUTAGE as error:
        worker.log.warning("Redis unreachable (%s); %s skipped", error, step)


def worker_name() -> str:
    """A name unique among live workers that shows the host and process id."""
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


class ConveyorWorker(PromptSimpleWorker):
    """One job at a time, in this process, watched by a :class:`Monitor`."""

    queue_class = FairQueue
    _next_suspension_check = 0.0
    _database_pause = DATABASE_RETRY_FIRST / 2
    monitor: Monitor
    shutdown_grace: float
    source: JobSource
    _state: str

    @classmethod
    def create(cls, runtime: Runtime, name: str | None = None) -> ConveyorWorker:
        """Build a worker for the queues :mod:`dispatch` names, with its monitor."""
        worker = cls(
            dispatch.worker_queue_names(),
            name=name or worker_name(),
            connection=runtime.redis,
            maintenance_interval=int(runtime.config["WORKER_MAINTENANCE_INTERVAL"]),
        )
        runtime.worker_name = worker.name
        worker.monitor = Monitor(runtime)
        worker.shutdown_grace = float(runtime.config["JOB_SHUTDOWN_GRACE"])
        dispatcher = Dispatcher(runtime.redis, runtime.config["TIER_WEIGHTS"])
        worker.source = JobSource(runtime.redis, dispatcher, worker.name)
        runtime.monitor = worker.monitor
        return worker

    def dequeue_job_and_maintain_ttl(  # type: ignore[override]
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[RQJob | Pick, Queue | None] | None:
        """Wait for the next job from :class:`JobSource` (RQ's loop, minus its BLMOVE)."""
        idle_since = time.monotonic()
        pause = 1.0
        found: Found | None = None
        while True:
            try:
                self.heartbeat()
                if self.should_run_maintenance_tasks:
                    self.run_maintenance_tasks()
                found = self.source.next(block=None)
                if found is None and timeout is not None:
                    self.set_state(WorkerStatus.IDLE)
                    self.procline("Waiting for a job")
                    found = self.source.next(block=timeout)
                pause = 1.0
            except OUTAGE as error:
                self.log.error("Redis unreachable (%s); retrying in %.0fs", error, pause)
                time.sleep(pause)  # back off from a Redis that is down; nothing to wait on
                pause = min(pause * 2, REDIS_RETRY_MAX)
                continue
            if found is not None:
                break
            idle = time.monotonic() - idle_since
            if timeout is None or (max_idle_time is not None and idle >= max_idle_time):
                return None
        if isinstance(found, Pick):
            return found, None
        job, queue = found
        job.redis_server_version = self.get_redis_server_version()
        self.log.info("Worker %s: %s: %s", self.name, queue.name, job.id)
        return job, queue

    def execute_job(self, job: RQJob | Pick, queue: Queue | None) -> None:  # type: ignore[override]
        """Run a control job the RQ way, a picked run the direct way. Redis lost on the way
        costs RQ's bookkeeping of this job, not the worker: RQ's loop would end the process
        on the error, and the sweep repairs what the SQL record says is left."""
        with _unless_redis_is_down(self, "the rest of this job's RQ bookkeeping"):
            if isinstance(job, Pick):
                self.run_pick(job)
            elif queue is not None:
                super().execute_job(job, queue)

    def run_pick(self, pick: Pick) -> None:
        """Run a picked run; its end, the owner's charge and RQ's record share a round trip."""
        # "busy" goes out with the run's start, not in a round trip of its own before the
        # claim (where it cost every wake-up from idle one more Redis reply to wait for).
        announce_busy = self._state != WorkerStatus.BUSY
        self._state = WorkerStatus.BUSY
        dispatcher = self.source.dispatcher

        next_pick: list[int] = []

        def on_end(pipe: Any, done: execution.Attempt) -> None:
            if done.status == QUEUED:  # handed back: the run never happened; no charge
                dispatcher.drop_pick(pick.job_id, pipe)
                rq_adapter.discarded(pipe, pick.job_id)
                return
            self._count(pipe, done)
            if done.status == COMPLETED:
                rq_adapter.finished(pipe, pick.queue_name, pick.job_id)
            elif done.status not in (FAILED, SCHEDULED):
                rq_adapter.discarded(pipe, pick.job_id)
            dispatcher.finish(pick.job_id, max(done.ran, MIN_CHARGE), pipe)
            if self._goes_on(done):  # after the finish: the next pick sees this job's cost
                next_pick.append(self.source.queue_take(pipe))

        def on_start(pipe: Any) -> None:
            # RQ's set_state, on the start's pipeline (which the monitor's thread may send).
            if announce_busy:
                pipe.hset(self.key, "state", WorkerStatus.BUSY)
            rq_adapter.started(pipe, pick.job_id, self.name)

        done = execution.attempt(
            self.monitor.runtime, pick.job_id, on_start=on_start, on_end=on_end
        )
        if next_pick and done.replies:
            self.source.took(done.replies[next_pick[0]])
        if isinstance(done.error, execution.DATABASE_UNREACHABLE):
            # The run went back to its queue; wait before the next pick finds it again.
            self._database_pause = min(self._database_pause * 2, DATABASE_RETRY_MAX)
            time.sleep(self._database_pause)  # nothing to wait on: the database is gone
            return
        self._database_pause = DATABASE_RETRY_FIRST / 2
        if done.status in (FAILED, SCHEDULED):
            rq_adapter.failed(self.connection, pick.queue_name, pick.job_id, repr(done.error))

    def _goes_on(self, done: execution.Attempt) -> bool:
        """Whether the worker will want another job after this one (so its end may pick it):
        not when stopping, nor after a database error, which pauses the worker."""
        if self._stop_requested or self.monitor.shutdown_at is not None:
            return False
        return not isinstance(done.error, execution.DATABASE_UNREACHABLE)

    def _count(self, pipe: Any, done: execution.Attempt) -> None:
        """Queue on ``pipe`` RQ's per-worker counts for a run that happened, as RQ bumps
        them (a stopped job counts as failed there too): what ``rq info`` shows."""
        if done.status == COMPLETED:
            self.increment_successful_job_count(pipe)
        elif done.status in (FAILED, SCHEDULED, CANCELED):
            self.increment_failed_job_count(pipe)
        else:
            return
        self.increment_total_working_time(timedelta(seconds=done.ran), pipe)

    def register_birth(self) -> None:
        """Register with RQ, then beat from the monitor thread (see :mod:`.presence`)."""
        super().register_birth()
        with self.connection.pipeline() as pipe:
            register(self, pipe)  # its queue too, through which `rq info` lists it
            pipe.execute()
        presence = Presence(self, self.monitor.lease)
        presence.beat()
        self.monitor.presence = presence

    def register_death(self) -> None:
        """Give back a job picked but not run, stop beating, then leave RQ's registry
        (SIGTERM and SIGINT end here)."""
        with _unless_redis_is_down(self, "giving back the held job"):  # the sweep requeues it
            self.source.give_back()
        presence, self.monitor.presence = self.monitor.presence, None
        if presence is not None:
            presence.leave()
        super().register_death()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's worker heartbeat when RQ's own job bookkeeping asks for one (an explicit
        timeout or pipeline); otherwise the monitor thread beats (:mod:`.presence`), busy
        or idle, until the worker is registered."""
        if timeout is None and pipeline is None and self.monitor.presence is not None:
            return
        if timeout is not None or pipeline is not None:
            super().heartbeat(timeout, pipeline)  # part of RQ's bookkeeping: errors are its
            return
        with _unless_redis_is_down(self, "heartbeat"):
            super().heartbeat(timeout, pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        """RQ's check for ``rq suspend``, at most every :data:`SUSPENSION_CHECK_INTERVAL`."""
        now = time.monotonic()
        if now < self._next_suspension_check:
            return
        self._next_suspension_check = now + SUSPENSION_CHECK_INTERVAL
        with _unless_redis_is_down(self, "suspension check"):
            if not is_suspended(self.connection, self):
                return
            self.source.give_back()  # a suspended worker holds no job back from others
            super().check_for_suspension(burst)

    def run_maintenance_tasks(self) -> None:
        """RQ's maintenance (registry cleanup, a scheduler thread restart), unless Redis is
        down: it runs again at the next interval."""
        with _unless_redis_is_down(self, "maintenance"):
            super().run_maintenance_tasks()

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """Write the worker's state only when it changes (or on RQ's own pipeline). A state
        Redis could not take is written at the next change: it is what ``rq info`` shows,
        and the run it announces goes on without it."""
        if pipeline is not None:
            super().set_state(state, pipeline)
            return
        if state == self._state:
            return
        with _unless_redis_is_down(self, f"worker state {state!r}"):
            super().set_state(state)
            return
        self._state = "?"  # unknown to Redis: the next set_state writes whatever it is

    def work(self, *args: Any, **kwargs: Any) -> bool:
        self.monitor.install()
        if not self.monitor.is_alive():
            self.monitor.start()
        firing = Firing(self.monitor.runtime)
        firing.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            firing.stop()
            self.monitor.stop()
            self.monitor.join(timeout=2)
            firing.join(timeout=2)

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Stop the current job (RQ's stop-job command lands here)."""
        self.monitor.interrupt(JobStopped("canceled"))

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: finish the current job within the grace period, then exit."""
        self.monitor.request_shutdown(self.shutdown_grace)
        super().request_stop(signum, frame)
