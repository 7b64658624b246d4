"""Announce job state changes on the owner's event stream (``conveyor_core.streams``),
best effort: the SQL row already holds the truth, so a Redis error is logged, not raised."""

from __future__ import annotations

import logging

import redis

from conveyor_core import streams
from conveyor_core.jobs.models import Job

logger = logging.getLogger(__name__)


def publish(connection: redis.Redis, job: Job) -> None:
    """Announce ``job``'s current status to its owner."""
    try:
        streams.publish_job(connection, job)
    except redis.RedisError as error:
        logger.warning("could not publish job event", extra={"error": str(error)})
