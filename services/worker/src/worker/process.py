"""The RQ worker class: ``SimpleWorker`` (no fork per job) made safe to run jobs in-process.

Why not the forking ``Worker``: a fork per job costs ~25 ms submit-to-done against ~8 ms
(NOTES.md) and throughput is what later benchmarks measure. What the fork gives, this
class gets another way:

- timeouts: the monitor thread interrupts the job at ``timeout_seconds`` (RQ's own alarm,
  set a minute later, stays as a backstop);
- crash detection: the monitor renews a per-job lease; a dead process stops renewing and
  the sweep re-runs the job (RQ's heartbeat-based detection takes ~10 min by default);
- stopping one job: RQ's stop-job command calls :meth:`kill_horse`, which here interrupts
  the job instead of killing a child process;
- graceful shutdown: SIGTERM lets the job finish for ``JOB_SHUTDOWN_GRACE`` seconds, then
  hands it back to the queue uncharged; the process then exits.

RQ's scheduler runs in a thread rather than a forked process, so it dies with the worker
instead of outliving a SIGKILL as an orphan.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from types import FrameType
from typing import Any

from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.scheduler import run as run_scheduler

from conveyor_shared.jobs import dispatch

from .exceptions import JobStopped
from .monitor import Monitor
from .runtime import Runtime

SCHEDULER_STOP_TIMEOUT = 3.0
"""Seconds to wait for the scheduler thread at shutdown."""


class ThreadScheduler(RQScheduler):
    """RQ's scheduler in a daemon thread of the worker."""

    def _install_signal_handlers(self) -> None:
        """Signals belong to the worker, which stops this thread itself."""

    def start(self) -> Any:
        self._status = self.Status.STARTED
        self._stop_requested = False
        self._process = threading.Thread(  # type: ignore[assignment]
            target=run_scheduler, args=(self,), name="rq-scheduler", daemon=True
        )
        self._process.start()  # type: ignore[attr-defined]
        return self._process


def worker_name() -> str:
    """A name unique among live workers that shows the host and process id."""
    return f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


class ConveyorWorker(SimpleWorker):
    """One job at a time, in this process, watched by a :class:`Monitor`."""

    monitor: Monitor
    shutdown_grace: float

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
        runtime.monitor = worker.monitor
        return worker

    def work(self, *args: Any, **kwargs: Any) -> bool:
        self.monitor.install()
        if not self.monitor.is_alive():
            self.monitor.start()
        try:
            return super().work(*args, **kwargs)
        finally:
            self.monitor.stop()
            self.monitor.join(timeout=2)

    def _start_scheduler(self, burst: bool = False, *args: Any, **kwargs: Any) -> None:
        self.scheduler = ThreadScheduler(self.queues, connection=self.connection)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
            else:
                self.scheduler.start()

    def stop_scheduler(self) -> None:
        scheduler = self.scheduler
        if scheduler is None:
            return
        scheduler.request_stop()
        thread = scheduler._process
        if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
            thread.join(timeout=SCHEDULER_STOP_TIMEOUT)

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Stop the current job (RQ's stop-job command lands here)."""
        self.monitor.interrupt(JobStopped("canceled"))

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: finish the current job within the grace period, then exit."""
        self.monitor.request_shutdown(self.shutdown_grace)
        super().request_stop(signum, frame)
