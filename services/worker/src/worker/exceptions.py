"""Errors raised inside a running job.

The interrupts derive from ``BaseException`` (like ``KeyboardInterrupt``) so that a job's
own ``except Exception`` cannot swallow a cancel, a timeout or a shutdown.
"""

from __future__ import annotations


class WorkerError(Exception):
    """Root of the worker's ordinary errors."""


class JobFailure(WorkerError):
    """The job could not do its work (retried if it has retries left)."""


class Interrupt(BaseException):
    """Root of what the monitor raises into a running job."""


class JobStopped(Interrupt):
    """The job was canceled, or its run is no longer the current one."""


class JobTimedOut(Interrupt):
    """The job ran longer than its ``timeout_seconds``."""


class WorkerShutdown(Interrupt):
    """The worker is shutting down and the job outlived the grace period."""
