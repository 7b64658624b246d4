"""When schedules tick: cron in IANA zones across both 2026 DST changes, intervals, misses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from conveyor_core.schedules.cadence import Cadence, check_cron, check_timezone

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 1, tzinfo=UTC)


def ticks(cadence: Cadence, start: datetime, end: datetime) -> list[datetime]:
    """Every tick after ``start`` up to ``end``."""
    found, tick = [], cadence.next_after(start)
    while tick <= end:
        found.append(tick)
        tick = cadence.next_after(tick)
    return found


def local_day(year: int, month: int, day: int) -> tuple[datetime, datetime]:
    begin = datetime(year, month, day, tzinfo=BERLIN)
    return begin, begin + timedelta(days=1)


def test_daily_0230_runs_once_on_the_spring_forward_day_right_after_the_gap() -> None:
    cadence = Cadence(cron="30 2 * * *", timezone="Europe/Berlin")
    begin, end = local_day(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
    found = ticks(cadence, begin, end)
    assert [tick.astimezone(BERLIN).isoformat() for tick in found] == ["2026-03-29T03:00:00+02:00"]


def test_daily_0230_runs_once_on_the_fall_back_day_on_the_first_pass() -> None:
    cadence = Cadence(cron="30 2 * * *", timezone="Europe/Berlin")
    begin, end = local_day(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET
    found = ticks(cadence, begin, end)
    assert [tick.isoformat() for tick in found] == ["2026-10-25T00:30:00+00:00"]


def test_the_days_around_each_change_keep_their_0230_run() -> None:
    cadence = Cadence(cron="30 2 * * *", timezone="Europe/Berlin")
    found = ticks(cadence, *(local_day(2026, 3, 28)[0], local_day(2026, 3, 30)[1]))
    assert [tick.astimezone(BERLIN).strftime("%d %H:%M") for tick in found] == [
        "28 02:30", "29 03:00", "30 02:30"
    ]  # fmt: skip


def test_a_wildcard_hour_follows_the_clock_through_both_fall_back_passes() -> None:
    cadence = Cadence(cron="30 * * * *", timezone="Europe/Berlin")
    begin, end = local_day(2026, 10, 25)
    assert len(ticks(cadence, begin, end)) == 25  # the day has 25 hours


def test_six_fields_tick_every_two_seconds_across_the_fall_back_change() -> None:
    cadence = Cadence(cron="*/2 * * * * *", timezone="Europe/Berlin")
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    found = ticks(cadence, change - timedelta(seconds=10), change + timedelta(seconds=10))
    gaps = {(b - a).total_seconds() for a, b in pairwise(found)}
    assert len(found) == 10 and gaps == {2.0}


def test_interval_ticks_fall_whole_intervals_from_their_anchor() -> None:
    cadence = Cadence(interval_seconds=10)
    assert cadence.next_after(START + timedelta(seconds=25), anchor=START) == START + timedelta(
        seconds=30
    )


def test_due_fires_ticks_within_the_grace_and_counts_older_ones_missed() -> None:
    due = Cadence(interval_seconds=1).due(START, START + timedelta(seconds=7.5), grace=2)
    assert due.on_time == [START + timedelta(seconds=6), START + timedelta(seconds=7)]
    assert (due.missed, due.last_missed) == (6, START + timedelta(seconds=5))
    assert due.next == START + timedelta(seconds=8)


def test_due_jumps_a_long_outage_without_walking_every_tick() -> None:
    due = Cadence(cron="* * * * * *").due(START, START + timedelta(days=30), grace=1)
    assert due.last_missed == START + timedelta(days=30, seconds=-1)
    assert due.on_time == [START + timedelta(days=30)]


@pytest.mark.parametrize(
    "expression",
    ["* * * *", "* * * * * * *", "61 * * * *", "a b c d e", "@daily", "0 0 30 2 *", "x" * 121],
)
def test_bad_cron_expressions_are_refused(expression: str) -> None:
    assert check_cron(expression) is not None


@pytest.mark.parametrize("expression", ["*/5 * * * *", "*/2 * * * * *", "0 9 * * 1-5"])
def test_good_cron_expressions_pass(expression: str) -> None:
    assert check_cron(expression) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "utc\x00"])
def test_unknown_time_zones_are_refused(name: str) -> None:
    assert check_timezone(name) is not None
