"""The one place that knows RQ's storage layout: the job hash, the registries, the time
format. RQ documents none of it as API, so ``tests/test_rq_contract.py`` (worker suite) and
``shared/core/tests/test_rq_adapter.py`` fail loudly when an RQ upgrade changes it.

What RQ (and so rq-dashboard) keeps of a run the worker took straight from the dispatcher.

The worker runs a picked job without RQ's per-job machinery (execution records, the started
registry, the worker hash, the result stream: about 55 Redis commands in some 20 round
trips per job, more than the job's own work): the SQL row is the record. RQ's copy of the
job still ends where rq-dashboard looks for it: a completed run in its queue's finished
registry for ``RESULT_TTL``, a failed attempt in the failed registry; a run that did not
happen (stale, canceled, handed back to the queue) is deleted. While it runs, the job hash
names its worker, so RQ's stop-job command (``rq.command.send_stop_job_command``) works.
The worker's own counts of finished and failed jobs are bumped by the worker, on the run's
last round trip (``ConveyorWorker._count``). The reconciler reads a run's state from the
same hash (:func:`queue_run_state`, :func:`run_state`) to tell a run on its way to a worker
from one that was lost.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from rq.utils import utcformat

from conveyor_core.jobs.dispatch import FAILURE_TTL, RESULT_TTL
from conveyor_core.redis_connection import text

logger = logging.getLogger(__name__)


def started(pipeline: Any, run_id: str, worker_name: str) -> None:
    """Queue on ``pipeline``: the run started on ``worker_name`` (what RQ's stop-job command
    and rq-dashboard read)."""
    pipeline.hset(RQJob.key_for(run_id), mapping={
        "status": JobStatus.STARTED.value,
        "worker_name": worker_name,
        "started_at": utcformat(datetime.now(UTC)),
    })  # fmt: skip


def finished(pipeline: Any, queue_name: str, run_id: str) -> None:
    """Queue on ``pipeline``: the run finished (kept ``RESULT_TTL`` seconds, like RQ does)."""
    key = RQJob.key_for(run_id)
    pipeline.hset(key, mapping={"status": JobStatus.FINISHED.value,
                                "ended_at": utcformat(datetime.now(UTC))})  # fmt: skip
    pipeline.expire(key, RESULT_TTL)
    registry = FinishedJobRegistry.key_template.format(queue_name)
    now = time.time()
    pipeline.zadd(registry, {run_id: now + RESULT_TTL})
    # RQ's own cleanup of this registry runs only for queues a worker listens on: trim here.
    pipeline.zremrangebyscore(registry, 0, now)


def discarded(pipeline: Any, run_id: str) -> None:
    """Queue on ``pipeline``: the run did not happen; RQ's copy goes."""
    pipeline.delete(RQJob.key_for(run_id))


def failed(connection: redis.Redis, queue_name: str, run_id: str, error: str) -> None:
    """Put a failed attempt in its queue's failed registry, as RQ would (best effort)."""
    try:
        job = RQJob.fetch(run_id, connection=connection)
        job.ended_at = datetime.now(UTC)
        with connection.pipeline() as pipe:
            job.set_status(JobStatus.FAILED, pipeline=pipe)
            registry = FailedJobRegistry(queue_name, connection=connection)
            registry.add(job, ttl=FAILURE_TTL, exc_string=error, pipeline=pipe)
            pipe.execute()
    except NoSuchJobError:
        return
    except redis.RedisError as problem:
        logger.warning("could not record the failed run in RQ", extra={"error": str(problem)})


WAITING_STATUSES = frozenset({JobStatus.QUEUED.value, JobStatus.SCHEDULED.value,
                              JobStatus.DEFERRED.value})  # fmt: skip
"""RQ job statuses that mean the run is still on its way to a worker."""

STARTED = JobStatus.STARTED.value
"""RQ's status of a run a worker has begun."""


def queue_run_state(pipeline: Any, run_id: str) -> None:
    """Queue on ``pipeline`` the read of a run's RQ status and start time (one reply:
    ``[status, started_at]``, each ``None`` if RQ holds no such job)."""
    pipeline.hmget(RQJob.key_for(run_id), "status", "started_at")


def run_state(reply: list[Any]) -> tuple[str | None, datetime | None]:
    """Decode a reply queued by :func:`queue_run_state`: the status and, once started, the
    start time (aware, UTC)."""
    status, started_at = (text(value) for value in reply)
    if not started_at:
        return status, None
    started = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return status, started if started.tzinfo else started.replace(tzinfo=UTC)
