"""Turning the peers' own timestamps into durations."""

from __future__ import annotations

from datetime import UTC, datetime

from ..exceptions import BenchError


def epoch(value: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC (RQ stores UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def span(starts: list[float], ends: list[float], jobs: int) -> float:
    """Jobs per second from the first start to the last end."""
    if not starts or not ends:
        raise BenchError("no job timestamps were recorded")
    elapsed = max(ends) - min(starts)
    if elapsed <= 0:
        raise BenchError(f"nonsensical job timestamps (span {elapsed:.6f} s)")
    return jobs / elapsed
