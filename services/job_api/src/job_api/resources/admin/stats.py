"""Throughput and wait time over a recent window, read from the SQL record (so they survive
restarts and Redis flushes). Percentiles are computed here, not in SQL: SQLite has none."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import COMPLETED, FAILED
from conveyor_core.jobs.store import AnySession

BUCKET = timedelta(minutes=1)


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of ``ordered`` (sorted), or None when it is empty."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def collect(session: AnySession, now: datetime, minutes: int) -> dict[str, Any]:
    """Return per-minute completed/failed counts and wait percentiles for the last ``minutes``."""
    since = _minute(now) - BUCKET * (minutes - 1)
    buckets = [since + BUCKET * index for index in range(minutes)]
    rows: dict[datetime, dict[str, Any]] = {
        start: {"completed": 0, "failed": 0, "waits": []} for start in buckets
    }
    finished = session.execute(
        select(Job.finished_at, Job.status).where(
            Job.finished_at >= since, Job.status.in_((COMPLETED, FAILED))
        )
    )
    for finished_at, status in finished:
        bucket = rows.get(_minute(finished_at))
        if bucket is not None:
            bucket[status] += 1
    # A job's wait is counted in the minute it started (its queued time ended then).
    started = session.execute(
        select(Job.started_at, Job.wait_seconds).where(Job.started_at >= since)
    )
    every_wait: list[float] = []
    for started_at, waited in started:
        bucket = rows.get(_minute(started_at))
        if bucket is not None:
            bucket["waits"].append(float(waited or 0.0))
            every_wait.append(float(waited or 0.0))
    every_wait.sort()
    series = []
    for start in buckets:
        waits = sorted(rows[start]["waits"])
        series.append({
            "minute": start,
            "completed": rows[start]["completed"],
            "failed": rows[start]["failed"],
            "started": len(waits),
            "wait_p50_seconds": percentile(waits, 0.5),
            "wait_p95_seconds": percentile(waits, 0.95),
        })  # fmt: skip
    return {
        "since": since,
        "until": now,
        "minutes": minutes,
        "completed": sum(row["completed"] for row in series),
        "failed": sum(row["failed"] for row in series),
        "wait_p50_seconds": percentile(every_wait, 0.5),
        "wait_p95_seconds": percentile(every_wait, 0.95),
        "series": series,
    }
