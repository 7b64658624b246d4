"""The monitor thread: watches the running job while the main thread runs it.

- announces the job's start (its event, its lease, what RQ shows) once it has run for a
  tick: a job that ends sooner sends its start with its end, in one round trip (the lease
  only matters to a sweep ``JOB_LEASE_SECONDS`` later; the events keep their order);
- renews the job's lease in Redis (a worker killed with SIGKILL stops renewing, and the
  sweep in another worker runs the job again within ``JOB_LEASE_SECONDS`` + a sweep);
- ends the job at its ``timeout_seconds``, on a cancel (RQ's stop-job command or the
  cancel key job-api sets), or when a shutdown outlives its grace period: it stores the
  exception to raise and sends the process ``SIGUSR1``, whose handler (main thread)
  raises it inside the job; a job blocked in C code gets it when it returns to Python;
- beats for the worker every quarter lease, busy or idle (:mod:`.presence`), so RQ's
  registry shows it alive, and a dead one drops out at the next sweep;
- every ``JOB_SWEEP_INTERVAL`` runs the reconciler, in one worker at a time (Redis lock),
  and every ``FAIR_SWEEP_EVERY`` sweeps the fair dispatcher's own repair: users whose lines
  hold jobs pushed behind its back (an admin's requeue in rq-dashboard) are made eligible,
  and claims left by dead workers are dropped.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis

from conveyor_core.fair import Dispatcher
from conveyor_core.jobs.keys import CANCEL_KEY, CONTROL_QUEUE, LEASE_KEY, SWEEP_LOCK_KEY
from conveyor_core.jobs.reconcile import reconcile
from conveyor_core.jobs.settings import MAX_TIMEOUT_SECONDS

from .exceptions import Interrupt, JobStopped, JobTimedOut, WorkerShutdown
from .presence import Presence, drop_dead
from .runtime import Runtime

logger = logging.getLogger(__name__)

INTERRUPT_SIGNAL = signal.SIGUSR1
"""Signal the monitor sends itself to interrupt the job in the main thread."""

TICK = 0.1
"""Seconds between the monitor's checks (timeouts are enforced to about this precision)."""

FAIR_SWEEP_EVERY = 10
"""Sweeps between two repairs of the fair dispatcher's state (a walk over every line)."""

STALE_CLAIM_SECONDS = MAX_TIMEOUT_SECONDS + 3600
"""A claim older than the longest job allowed belongs to a worker that died."""


@dataclass
class _Current:
    job_id: str
    run_id: str
    deadline: float
    timeout: int


class Monitor(threading.Thread):
    """Lease, timeout, cancel and shutdown watch over the current job, plus the sweep."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="job-monitor", daemon=True)
        self.runtime = runtime
        self.lease = float(runtime.config["JOB_LEASE_SECONDS"])
        self.sweep_interval = float(runtime.config["JOB_SWEEP_INTERVAL"])
        self.grace = float(runtime.config["JOB_ENQUEUE_GRACE"])
        self.current: _Current | None = None
        self.in_body = False
        self.shielded = False
        self.pending: Interrupt | None = None
        self.shutdown_at: float | None = None
        self._halt = threading.Event()
        # Guards the start announcement: whoever sends it holds the lock while sending, so
        # a job's end can never reach Redis before its start.
        self._announcing = threading.Lock()
        self._announce: Callable[[Any], None] | None = None
        self._next_renewal = 0.0
        self._next_sweep = 0.0
        self._sweeps = 0
        self.presence: Presence | None = None
        """The worker's beat, once it is registered with RQ (``None`` before and after)."""
        self._next_beat = 0.0

    # -- main thread -------------------------------------------------------------------
    def install(self) -> None:
        """Install the interrupt handler (call from the main thread)."""
        signal.signal(INTERRUPT_SIGNAL, self._on_signal)

    def begin(
        self, job_id: str, run_id: str, timeout: int,
        announce: Callable[[Any], None] | None = None,
    ) -> None:  # fmt: skip
        """Start watching a claimed run. ``announce`` queues the run's start commands on a
        pipeline: sent with the lease at the next tick, or with the end if that comes first."""
        self.pending = None
        with self._announcing:
            self._announce = announce or (lambda _pipe: None)
        self.current = _Current(job_id, run_id, time.monotonic() + timeout, timeout)
        self._next_renewal = time.monotonic() + self.lease / 4

    def enter_body(self) -> None:
        self.in_body = True

    def leave_body(self) -> None:
        self.in_body = False
        self.pending = None

    @contextmanager
    def shield(self) -> Iterator[None]:
        """Hold back an interrupt while the platform's own bookkeeping (a progress report's
        SQL) runs inside the body, and raise it right after.

        An interrupt raised between two bytecodes of a database driver can leave its
        connection mid-statement, and the pool may hand that connection out again."""
        self.shielded = True
        try:
            yield
        finally:
            self.shielded = False
        self._raise_pending()

    def end(self, pipeline: Any) -> None:
        """Stop watching the run: queue on ``pipeline`` its start, if not yet sent, and the
        release of its lease."""
        current, self.current = self.current, None
        self.in_body = False
        self.pending = None
        with self._announcing:  # waits for a start being sent by the monitor thread
            announce, self._announce = self._announce, None
        if current is None:
            return
        if announce is not None:
            announce(pipeline)
        pipeline.delete(LEASE_KEY.format(job_id=current.job_id))

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._raise_pending()

    def _raise_pending(self) -> None:
        """Raise the interrupt waiting for the job, unless it is out of its body or shielded."""
        # Plain attribute reads only: this runs between bytecodes of the main thread.
        pending = self.pending
        if pending is not None and self.in_body and not self.shielded:
            self.pending = None
            raise pending

    # -- any thread --------------------------------------------------------------------
    def interrupt(self, error: Interrupt) -> None:
        """Raise ``error`` inside the running job, if one is running."""
        if self.current is None or not self.in_body or self.pending is not None:
            return
        self.pending = error
        os.kill(os.getpid(), INTERRUPT_SIGNAL)

    def request_shutdown(self, grace: float) -> None:
        """Let the current job run ``grace`` more seconds, then hand it back to the queue."""
        self.shutdown_at = time.monotonic() + grace

    def stop(self) -> None:
        self._halt.set()

    # -- monitor thread ----------------------------------------------------------------
    def run(self) -> None:
        while not self._halt.wait(TICK):
            try:
                self._check()
            except Exception:  # keep watching: a Redis or SQL blip must not end the thread
                logger.exception("monitor check failed")

    def _check(self) -> None:
        now = time.monotonic()
        current = self.current
        if current is not None and self._announce is not None:
            self._send_start(current)
        if current is not None:
            if now >= current.deadline:
                self.interrupt(JobTimedOut(f"timeout: ran longer than {current.timeout}s"))
            elif self.shutdown_at is not None and now >= self.shutdown_at:
                self.interrupt(WorkerShutdown("worker shutting down"))
            elif now >= self._next_renewal:
                self._next_renewal = now + self.lease / 4
                if self._renew(current):
                    self.interrupt(JobStopped("canceled"))
        presence = self.presence
        if presence is not None and now >= self._next_beat:
            self._next_beat = now + self.lease / 4
            try:
                presence.beat()
            except redis.RedisError as error:  # the next beat writes it all again
                logger.warning("could not say the worker is alive", extra={"error": str(error)})
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_interval
            self._sweep()

    def announce_now(self) -> None:
        """Send the run's start now if it is still pending (before any other event of it)."""
        current = self.current
        if current is not None and self._announce is not None:
            self._send_start(current)

    def _send_start(self, current: _Current) -> None:
        with self._announcing:
            announce, self._announce = self._announce, None
            if announce is None or self.current is not current:
                return
            with self.runtime.redis.pipeline(transaction=False) as pipe:
                announce(pipe)
                self._queue_renewal(pipe, current)
                pipe.execute()

    def _renew(self, current: _Current) -> bool:
        """Renew the lease; return whether job-api asked for the run to stop."""
        with self.runtime.redis.pipeline(transaction=False) as pipe:
            self._queue_renewal(pipe, current)
            _, canceled = pipe.execute()
        return bool(canceled)

    def _queue_renewal(self, pipeline: Any, current: _Current) -> None:
        lease_ms = int(self.lease * 1000)
        pipeline.set(LEASE_KEY.format(job_id=current.job_id), current.run_id, px=lease_ms)
        pipeline.exists(CANCEL_KEY.format(run_id=current.run_id))

    def _sweep(self) -> None:
        lock_ms = max(int(self.sweep_interval * 900), 100)
        if not self.runtime.redis.set(
            SWEEP_LOCK_KEY, self.runtime.worker_name, nx=True, px=lock_ms
        ):
            return
        reconcile(
            self.runtime.sessions, self.runtime.redis, grace=self.grace, lease=self.lease,
            public_url=self.runtime.config["PUBLIC_URL"],
        )  # fmt: skip
        drop_dead(self.runtime.redis, CONTROL_QUEUE)
        self._sweeps += 1
        if self._sweeps % FAIR_SWEEP_EVERY == 1:
            dispatcher = Dispatcher(self.runtime.redis, {})
            activated = dispatcher.repair_lines()
            dropped = dispatcher.drop_stale_picks(STALE_CLAIM_SECONDS)
            if activated or dropped:
                counts = {"activated": activated, "claims_dropped": dropped}
                logger.info("repaired fair dispatch", extra=counts)
