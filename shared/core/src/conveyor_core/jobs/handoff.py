"""Handing committed jobs to Redis: the second half of every submission.

job-api calls it after committing the rows a request built; a worker's schedule firing after
committing the rows of a tick. Either way one Redis transaction carries the owners' tiers,
the pushes (which activate the owners in the fair dispatcher), the line lengths that place
the jobs, and their events. A failure leaves the rows to the reconciler, which enqueues
committed jobs missing from Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import redis

from conveyor_core import streams
from conveyor_core.fair import execute_pipeline
from conveyor_core.jobs import dispatch
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import QUEUED, SCHEDULED

logger = logging.getLogger(__name__)


def hand_off(
    connection: redis.Redis, jobs: Sequence[Job], tiers: Iterable[tuple[int, str]] = ()
) -> Mapping[str, int]:
    """Push committed ``jobs`` and announce them; return each queued one's place in its
    owner's line. ``tiers`` are ``(user_id, tier)`` pairs the dispatcher learns if it knows
    none for that user (user-service's word stays first)."""
    runs = [dispatch.Run.of(job) for job in jobs if job.status == QUEUED]
    lines = dispatch.LinePlaces(runs)
    try:
        with connection.pipeline() as pipe:
            for user_id, tier in set(tiers):
                dispatch.remember_tier(pipe, user_id, tier)
            dispatch.enqueue(connection, runs, pipeline=pipe)
            start = len(pipe)
            count = lines.queue(pipe)
            streams.publish_jobs(pipe, jobs)  # job.queued / job.scheduled for GET /api/events
            due = [(job.id, job.scheduled_for) for job in jobs
                   if job.status == SCHEDULED and job.scheduled_for]  # fmt: skip
            dispatch.schedule_releases(connection, due, pipe)
            replies = execute_pipeline(connection, pipe)
    except redis.RedisError as error:
        logger.warning(
            "jobs committed but not enqueued; the reconciler will enqueue them",
            extra={"jobs": len(jobs), "error": str(error)},
        )
        return {}
    return lines.read_after(replies[start : start + count])
