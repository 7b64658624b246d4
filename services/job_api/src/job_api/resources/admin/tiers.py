"""Fairness as delivered: each tier's share of worker time beside the share its weight promises.

Job rows carry no tier. The tier of each user comes from the fair dispatcher's own record in
Redis (``conveyor:fair:user:<id>`` ``tier``), the one every dispatch is weighed by: a tier
change applies at the user's next dispatch, so the token's ``tier`` claim (which catches up
only at the next refresh) would misattribute the very minutes after a change. A user the
dispatcher has no tier for is counted as ``free``, as the dispatcher itself does. Worker time
comes from the SQL record: ``run_seconds`` of the jobs that finished in the window, plus the
running attempts' time so far (inside the window).

The promise: stride scheduling gives each user with work a share proportional to their
tier's weight. The users with work in the window are those who got worker time in it or
have jobs queued now; a tier's promised share is its weight times its users with work, over
the sum for all. (A user whose backlog ran dry early is promised more than they could use:
the comparison is fair while every counted user keeps a backlog.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from conveyor_core.fair import Dispatcher
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import QUEUED, RUNNING, STATUSES
from conveyor_core.jobs.store import AnySession

BUSIEST = 5
"""Users listed by worker time, beside the tiers."""


def _worker_seconds(session: AnySession, now: datetime, since: datetime) -> dict[int, float]:
    """Worker seconds each user had in the window (finished jobs, then running attempts)."""
    used: dict[int, float] = defaultdict(float)
    finished = session.execute(
        select(Job.user_id, func.sum(Job.run_seconds))
        .where(Job.finished_at >= since)
        .group_by(Job.user_id)
    )
    for user_id, seconds in finished:
        used[int(user_id)] += float(seconds or 0.0)
    running = session.execute(select(Job.user_id, Job.started_at).where(Job.status == RUNNING))
    for user_id, started_at in running:
        if started_at is not None:
            used[int(user_id)] += max((now - max(started_at, since)).total_seconds(), 0.0)
    return used


def _counts(session: AnySession) -> dict[int, dict[str, int]]:
    """Jobs per status of each user who has any."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(Job.user_id, Job.status, func.count()).group_by(Job.user_id, Job.status)
    )
    for user_id, status, total in rows:
        counts[int(user_id)][status] = int(total)
    return counts


def _tier_row(name: str, weight: int) -> dict[str, Any]:
    return {"tier": name, "weight": weight, "users_with_work": 0, "worker_seconds": 0.0,
            "totals": dict.fromkeys(STATUSES, 0)}  # fmt: skip


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def collect(
    session: AnySession, dispatcher: Dispatcher, weights: Mapping[str, int], now: datetime,
    minutes: int,
) -> dict[str, Any]:  # fmt: skip
    """Return per-tier totals, backlog, delivered and promised shares, and the busiest users."""
    since = now - timedelta(minutes=minutes)
    used = _worker_seconds(session, now, since)
    counts = _counts(session)
    users = sorted(set(used) | set(counts))
    tier_of = dispatcher.tiers(users)
    weight = {user: weights.get(tier_of[user], 1) for user in users}
    demanding = [user for user in users if used.get(user) or counts[user].get(QUEUED)]
    promised_whole = sum(weight[user] for user in demanding)
    used_whole = sum(used.values())
    tiers = {name: _tier_row(name, tier_weight) for name, tier_weight in weights.items()}
    for user in users:
        row = tiers.setdefault(tier_of[user], _tier_row(tier_of[user], weight[user]))
        row["worker_seconds"] += used.get(user, 0.0)
        row["users_with_work"] += user in demanding
        for status, total in counts[user].items():
            row["totals"][status] = row["totals"].get(status, 0) + total
    for row in tiers.values():
        row["worker_seconds"] = round(row["worker_seconds"], 3)
        row["backlog"] = row["totals"].get(QUEUED, 0)
        row["delivered_share"] = _share(row["worker_seconds"], used_whole)
        row["promised_share"] = _share(row["weight"] * row["users_with_work"], promised_whole)
    busiest = sorted(used, key=lambda user: -used[user])[:BUSIEST]
    return {
        "since": since,
        "until": now,
        "minutes": minutes,
        "worker_seconds": round(used_whole, 3),
        "tiers": list(tiers.values()),
        "busiest_users": [
            {
                "user_id": user,
                "tier": tier_of[user],
                "worker_seconds": round(used[user], 3),
                "delivered_share": _share(used[user], used_whole),
                "promised_share": _share(weight[user], promised_whole),
            }
            for user in busiest
        ],
    }
