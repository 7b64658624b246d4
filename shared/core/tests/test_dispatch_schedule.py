"""Scheduled releases through RQ's scheduled registry (``dispatch.schedule_releases``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from conveyor_core.jobs import dispatch
from conveyor_core.jobs.keys import CONTROL_QUEUE


@pytest.mark.parametrize(
    "at",
    [
        datetime(2031, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2031, 5, 1, 12, 0, 0, 507489, tzinfo=UTC),
        datetime(2031, 5, 1, 12, 0, 0, 999999, tzinfo=UTC),
        datetime(2031, 5, 1, 12, 0, 0, 507489),
    ],
)
def test_release_is_never_scored_before_its_time(connection: redis.Redis, at: datetime) -> None:
    dispatch.schedule_releases(connection, [("job-1", at)])
    registry = ScheduledJobRegistry(queue=Queue(CONTROL_QUEUE, connection=connection))
    [(_, score)] = connection.zrange(registry.key, 0, -1, withscores=True)
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    assert score >= aware.timestamp()
    assert score - aware.timestamp() < 1


def test_release_on_a_whole_second_keeps_that_second(connection: redis.Redis) -> None:
    at = datetime(2031, 5, 1, 12, 0, 7, tzinfo=UTC)
    dispatch.schedule_releases(connection, [("job-1", at)])
    registry = ScheduledJobRegistry(queue=Queue(CONTROL_QUEUE, connection=connection))
    [(_, score)] = connection.zrange(registry.key, 0, -1, withscores=True)
    assert score == at.timestamp()
