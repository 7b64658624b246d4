"""Job statuses, priorities and types: the names of the public API (the README's job
fields, the OpenAPI documents)."""

from __future__ import annotations

SCHEDULED = "scheduled"
"""Waiting for its ``run_at`` time or a retry backoff."""

QUEUED = "queued"
"""In an RQ queue, waiting for a worker."""

RUNNING = "running"
"""Claimed by a worker."""

COMPLETED = "completed"
"""Finished with a result."""

FAILED = "failed"
"""Finished with an error after its retries ran out."""

CANCELED = "canceled"
"""Stopped on request; never retried on its own."""

STATUSES = (SCHEDULED, QUEUED, RUNNING, COMPLETED, FAILED, CANCELED)
"""Every status, in lifecycle order."""

WAITING = (SCHEDULED, QUEUED)
"""Statuses a cancel ends at once."""

FINISHED = (COMPLETED, FAILED, CANCELED)
"""Statuses a job does not leave on its own."""

RETRYABLE = (FAILED, CANCELED)
"""Statuses ``POST /api/jobs/{id}/retry`` accepts."""

PRIORITIES = ("high", "normal", "low")
"""Priorities, most urgent first."""

TYPES = ("timed", "email", "image", "export")
"""Every job type a worker can run."""
