"""RQ's ``SimpleWorker`` that stops at once: the base of the job worker and the notifier."""

from __future__ import annotations

from rq import SimpleWorker

COMMAND_LISTENER_STOP_TIMEOUT = 1.0
"""Seconds a stopping worker waits for its command channel's thread (see ``unsubscribe``)."""


class PromptSimpleWorker(SimpleWorker):
    """A ``SimpleWorker`` whose stop does not wait out redis-py's pubsub sleep."""

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
