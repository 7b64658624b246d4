"""When a schedule's ticks fall: a cron expression in an IANA time zone, or a fixed interval.

Cron expressions have 5 fields, or 6 with seconds first, and are evaluated by croniter on
the zone's wall clock. Daylight saving time: a wall-clock time skipped by the spring-forward
change fires at the first moment after the gap (croniter's own rule), once; a wall-clock time
that happens twice on the fall-back day fires on its first pass only, unless the hour field
is a wildcard (``*`` or ``*/n``), whose ticks follow the clock through both passes (an
every-two-seconds job does not pause for an hour). Every tick handed out is aware UTC.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from croniter import croniter

MAX_CRON_LENGTH = 120
"""Longest cron expression accepted."""

MISSED_COUNT_CAP = 1000
"""Most missed ticks counted one by one; past it the gap is jumped and counted as this."""

_SKIP_LIMIT = 100
"""Most second-pass ticks skipped in a row while looking for the next tick."""


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str) -> str | None:
    """Return why ``name`` is not an IANA time zone, or ``None`` if it is one."""
    if name not in _zones():
        return "Must be an IANA time zone name, such as UTC or Europe/Berlin."
    return None


def check_cron(expression: str, timezone: str = "UTC") -> str | None:
    """Return why ``expression`` is not a usable cron expression, or ``None``."""
    if len(expression) > MAX_CRON_LENGTH:
        return f"Must be at most {MAX_CRON_LENGTH} characters."
    if len(expression.split()) not in (5, 6):
        return "Must have 5 fields (minute hour day month weekday), or 6 with seconds first."
    zone = "UTC" if check_timezone(timezone) else timezone
    try:
        Cadence(cron=expression, timezone=zone).next_after(datetime.now(UTC))
    except ValueError as error:  # croniter's errors are ValueErrors
        return f"Not a valid cron expression: {error}."
    return None


@dataclass(frozen=True)
class Due:
    """The ticks of a schedule that have come, as seen at one moment."""

    on_time: list[datetime]
    """Ticks still within the misfire grace: each fires."""
    missed: int
    """Ticks older than the grace: skipped."""
    last_missed: datetime | None
    """The latest skipped tick (the one a catch-up run stands for)."""
    next: datetime
    """The first tick after the moment."""


@dataclass(frozen=True)
class Cadence:
    """A cron expression in a time zone, or an interval in seconds (exactly one)."""

    cron: str | None = None
    timezone: str = "UTC"
    interval_seconds: int | None = None
    _fields: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval_seconds is None):
            raise ValueError("a cadence is a cron expression or an interval, not both or neither")
        object.__setattr__(self, "_fields", (self.cron or "").split())

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime:
        """The first tick strictly after ``moment``. Interval ticks fall ``interval_seconds``
        apart from ``anchor`` (default: ``moment``, so the next one is an interval away)."""
        if self.interval_seconds is not None:
            step = timedelta(seconds=self.interval_seconds)
            if anchor is None or anchor > moment:
                return anchor if anchor is not None else moment + step
            return anchor + step * ((moment - anchor) // step + 1)
        zone = zoneinfo.ZoneInfo(self.timezone)
        ticks = croniter(
            self.cron, moment.astimezone(zone), second_at_beginning=len(self._fields) == 6
        )
        for _ in range(_SKIP_LIMIT):
            tick: datetime = ticks.get_next(datetime)
            if not (self._runs_once_a_day_per_hour() and _second_pass(tick, zone)):
                return tick.astimezone(UTC)
        raise ValueError("no tick found after the fall-back hour")

    def _runs_once_a_day_per_hour(self) -> bool:
        """Whether the hour field names hours (not ``*`` or ``*/n``): such ticks are wall-clock
        appointments, kept once when the fall-back change repeats an hour."""
        hour = self._fields[2 if len(self._fields) == 6 else 1]
        return not (hour == "*" or hour.startswith("*/"))

    def due(self, first: datetime, now: datetime, grace: float) -> Due:
        """Sort the ticks from ``first`` (a tick) up to ``now`` into on time and missed."""
        cutoff = now - timedelta(seconds=grace)
        missed, last_missed, tick = 0, None, first
        while tick <= cutoff and missed < MISSED_COUNT_CAP:
            missed, last_missed = missed + 1, tick
            tick = self.next_after(tick, anchor=first)
        if tick <= cutoff:  # a long outage: jump over the rest of it
            tick = self.next_after(cutoff, anchor=first)
            last_missed = self._last_at_or_before(cutoff, first)
        on_time = []
        while tick <= now:
            on_time.append(tick)
            tick = self.next_after(tick, anchor=first)
        return Due(on_time, missed, last_missed, tick)

    def _last_at_or_before(self, moment: datetime, first: datetime) -> datetime:
        if self.interval_seconds is not None:
            step = timedelta(seconds=self.interval_seconds)
            return first + step * ((moment - first) // step)
        zone = zoneinfo.ZoneInfo(self.timezone)
        after = moment + timedelta(microseconds=1)
        ticks = croniter(self.cron, after.astimezone(zone),
                         second_at_beginning=len(self._fields) == 6)  # fmt: skip
        tick: datetime = ticks.get_prev(datetime)
        return tick.astimezone(UTC)


def _second_pass(tick: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether ``tick`` is the second occurrence of a wall-clock time (fall-back day)."""
    wall = tick.replace(tzinfo=None)
    first, second = (wall.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1))
    return first != second and tick.utcoffset() == second
