"""One log line per job state change, for an operator following a request into its job.

Every line names the job, its owner, the request that submitted it, the attempt, and the
job's time queued and running so far (``event`` says which change: ``job.started``,
``job.completed``, ``job.failed``, ``job.retried``, ``job.timed_out``, ``job.canceled``,
``job.requeued``, ``job.recovered``, and ``job.released`` when a delayed job or a retry
is due). Routine changes are ``INFO``; a failure, a timeout
and a run lost with its worker are ``WARNING``. The ids go in explicitly (not only from the
context): the sweep writes lines about jobs other than any it runs.
"""

from __future__ import annotations

import logging
from typing import Any

from conveyor_core.jobs.models import Job

logger = logging.getLogger("conveyor.jobs")


def record(
    event: str, job: Job, *, level: int = logging.INFO, attempt_seconds: float | None = None,
    **fields: Any,
) -> None:  # fmt: skip
    """Log the state change ``event`` of ``job`` (the row as it is after the change).

    ``attempt_seconds`` is how long the attempt that just ended ran; ``fields`` add what the
    change alone knows (an error, a retry's delay)."""
    if not logger.isEnabledFor(level):
        return
    extra = {
        "event": event,
        "job_id": job.id,
        "user_id": str(job.user_id),
        "request_id": job.request_id,
        "job_type": job.type,
        "status": job.status,
        "attempt": job.attempts,
        "queued_seconds": round(job.wait_seconds or 0.0, 3),
        "run_seconds": round(job.run_seconds or 0.0, 3),
        "worker": job.worker_name,
    }
    if attempt_seconds is not None:
        extra["attempt_seconds"] = round(attempt_seconds, 3)
    extra.update(fields)
    # makeRecord + handle: logger.log would also walk the stack for a file and line that the
    # lines do not show (a few microseconds a line, on every job's path).
    logger.handle(logger.makeRecord(logger.name, level, __file__, 0, event, (), None,
                                    extra=extra))  # fmt: skip
