"""RQ's ``SimpleWorker`` that stops at once, whenever it is told to, with RQ's scheduler in a
thread: the base of the job worker and the notifier."""

from __future__ import annotations

import signal
import threading
from contextlib import suppress
from types import FrameType
from typing import Any

from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.scheduler import run as run_scheduler

COMMAND_LISTENER_STOP_TIMEOUT = 1.0
"""Seconds a stopping worker waits for its command channel's thread (see ``unsubscribe``)."""

SCHEDULER_STOP_TIMEOUT = 3.0
"""Seconds a stopping worker waits for its scheduler thread (it looks at its stop flag once
a second)."""


class ThreadScheduler(RQScheduler):
    """RQ's scheduler in a daemon thread of the worker.

    RQ forks it as a process. A fork made while the worker's other threads run (the log
    writer, the command listener) gets none of them, so the scheduler's log lines were
    queued for a writer that did not exist; a SIGKILLed worker left it running as an
    orphan; and a stop signal that reached it before it installed its own handlers ran the
    worker's inherited one, so it never stopped and the worker waited on it for ever."""

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


class PromptSimpleWorker(SimpleWorker):
    """A ``SimpleWorker`` that handles SIGTERM from its registration on, whose stop does
    not wait out redis-py's pubsub sleep, and whose scheduler is a :class:`ThreadScheduler`."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        """Register as RQ does, with SIGTERM and SIGINT already noted as a stop request.

        RQ registers the worker (``rq info`` and our tests see it) before ``work`` installs
        its handlers: a SIGTERM in between killed the process outright, leaving it
        registered until its TTL ran out. Until ``work`` installs RQ's own handlers, a stop
        signal sets the request its loop reads before the first dequeue."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._note_stop)
        super().bootstrap(*args, **kwargs)

    def _note_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop_requested = True

    def _install_signal_handlers(self) -> None:
        """Install RQ's handlers; a stop signal they take at once stays a request.

        RQ's handler raises ``StopRequested`` in an idle worker, for its loop to catch; one
        that landed as ``work`` installed it, before the loop's ``try``, escaped ``work``
        as a traceback (exit status 1, no teardown). :meth:`_shutdown` has noted the
        request by then, and the loop reads it before its first dequeue."""
        with suppress(StopRequested):
            super()._install_signal_handlers()

    def _start_scheduler(self, burst: bool = False, *args: Any, **kwargs: Any) -> None:
        """Start RQ's scheduler in a thread (in burst mode, move due jobs once), unless a
        stop was already requested."""
        if self._stop_requested:
            return
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
        """Ask the scheduler thread to stop, and wait a bounded time for it to release its
        locks (it is a daemon: it cannot hold the process past its exit)."""
        scheduler = self.scheduler
        if scheduler is None:
            return
        scheduler.request_stop()
        thread = scheduler._process
        if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
            thread.join(timeout=SCHEDULER_STOP_TIMEOUT)

    def unsubscribe(self) -> None:
        """Stop listening for RQ's commands without waiting out the listener's sleep.

        RQ unsubscribes, then waits for redis-py's pubsub thread with no bound; an
        unsubscribed thread (redis-py 8) waits up to its whole 60 s sleep for a
        subscription before it looks at its stop flag, so a SIGTERMed worker (or a burst
        worker at its end) could take a minute to exit. The flag is set and the wait
        bounded; the daemon thread ends with the process (its socket with it)."""
        thread = self.pubsub_thread
        if thread is not None:
            thread.stop(timeout=COMMAND_LISTENER_STOP_TIMEOUT)

    def _shutdown(self) -> None:
        """Note the stop request before RQ raises ``StopRequested`` in an idle worker: a
        raise that library code between two RQ steps swallows still ends the loop at its
        next look at the request."""
        self._stop_requested = True
        super()._shutdown()
