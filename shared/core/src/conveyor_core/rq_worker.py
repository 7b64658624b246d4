"""RQ's ``SimpleWorker`` that stops at once, whenever it is told to: the base of the job
worker and the notifier."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from rq import SimpleWorker

COMMAND_LISTENER_STOP_TIMEOUT = 1.0
"""Seconds a stopping worker waits for its command channel's thread (see ``unsubscribe``)."""


class PromptSimpleWorker(SimpleWorker):
    """A ``SimpleWorker`` that handles SIGTERM from its registration on, and whose stop
    does not wait out redis-py's pubsub sleep."""

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
