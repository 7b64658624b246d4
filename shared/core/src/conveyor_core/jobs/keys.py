"""Names in Redis that job-api and the workers must agree on."""

from __future__ import annotations

RUN_FUNCTION = "worker.execution.run"
"""Dotted path of the RQ function that runs one attempt: ``run(job_id, run_id)``."""

RELEASE_FUNCTION = "worker.execution.release"
"""Dotted path of the RQ function that moves a due scheduled job to its queue."""

DELETED_USERS_KEY = "conveyor:jobs:deleted-users"
"""Set of deleted users' ids whose unfinished jobs the next sweep cancels.

A set read by the sweep rather than a job on a queue: the sweep runs in every worker's
monitor thread, so the cancel happens within seconds even when every worker is busy."""

CONTROL_QUEUE = "jobs.control"
"""RQ queue of release jobs (scheduled through RQ's scheduler); workers read it first."""

LEASE_KEY = "conveyor:jobs:lease:{job_id}"
"""Holds the run id while a live worker runs the job; expires if the worker dies."""

CANCEL_KEY = "conveyor:jobs:cancel:{run_id}"
"""Set by job-api when a running job should stop (backs up RQ's stop-job command)."""

CANCEL_KEY_TTL = 24 * 3600
"""Seconds a cancel key outlives its request (a worker reads it within a lease period)."""

SWEEP_LOCK_KEY = "conveyor:jobs:sweep-lock"
"""Held by the one worker that runs the reconciler in a given interval."""

QUEUED_CURSOR_KEY = "conveyor:reconcile:queued-after"
"""Where the last sweep's look at ``queued`` rows stopped (``queued_at|id``): the next sweep
goes on from there, and starts again from the oldest once it has seen the newest. Without
it every sweep looked at the same oldest rows, so behind a backlog longer than a batch a
job Redis had lost waited until the backlog drained (over 2 minutes in the soak's storm)."""

IDEMPOTENCY_LOCK_KEY = "conveyor:jobs:idempotency:{user_id}:{digest}"
"""Held while job-api handles a request with that user's ``Idempotency-Key``."""
