"""The goals the report judges: each a ratio or a time read off the measured medians."""

from __future__ import annotations

from .results import CONVEYOR, TIMES, Results, Target, ratio
from .scenarios import fair, record, scaling, submit, throughput

CELERY = "Celery (solo pool)"
"""The peer whose per-process speed (a) and latency (c) are judged against."""


def _submit_note(results: Results, http: str, bare: float | None) -> str:
    """Say how (b) reads against the brief's own stack and against the route's ceiling."""
    parts = []
    express = ratio(
        results.median("b", submit.HTTP, CONVEYOR, http),
        results.median("b", submit.HTTP, submit.EXPRESS, http),
    )
    if express is not None:
        parts.append(f"{express:.2f}{TIMES} {submit.EXPRESS}")
    ceiling = ratio(results.median("b", submit.HTTP, submit.REQUEST_PATH, http), bare)
    if ceiling is not None:
        parts.append(
            f"job-api's request path with nothing stored reaches {ceiling:.2f}{TIMES} the bare "
            "app: the most this route can reach on this stack"
        )
    return "; ".join(parts)


def _throughput_note(results: Results, section: str) -> str:
    """Say how far the SQL record alone would let a worker go, against Celery solo."""
    ceilings = [
        ratio(
            results.median("a", section, record.SYSTEM, throughput.variant(w)),
            results.median("a", section, CELERY, throughput.variant(w)),
        )
        for w in throughput.WORKERS
    ]
    if any(ceiling is None for ceiling in ceilings):
        return ""
    shown = " and ".join(f"{ceiling:.2f}{TIMES}" for ceiling in ceilings)
    return (
        f"the SQL record alone (a claim and a completion committed per job, nothing else) runs "
        f"at {shown} Celery solo at 1 and 2 workers: the most a worker keeping it can reach"
    )


def _latency_gap(results: Results) -> float | None:
    """Conveyor's submit→running p50 minus Celery solo's, in ms."""
    section = next((s.section for s in results.series if s.scenario == "c"), "")
    mine = results.median("c", section, CONVEYOR, "submit→running p50")
    celery = results.median("c", section, CELERY, "submit→running p50")
    if mine is None or celery is None:
        return None
    return mine - celery


def judge(results: Results) -> list[Target]:
    """Return the targets with their values (None where a figure is missing)."""
    a = next((s.section for s in results.series if s.scenario == "a"), "")
    per_worker = [
        ratio(
            results.median("a", a, CONVEYOR, throughput.variant(w)),
            results.median("a", a, CELERY, throughput.variant(w)),
        )
        for w in throughput.WORKERS
    ]
    found = [r for r in per_worker if r is not None]
    round_trips = [
        results.median(
            "a", throughput.REDIS, CONVEYOR, throughput.redis_variant(throughput.ROUND_TRIPS, w)
        )
        for w in throughput.WORKERS
    ]
    measured_trips = [r for r in round_trips if r is not None]
    ideal_8 = results.median("e", scaling.SECTION, scaling.IDEAL, scaling.variant(8))
    http = submit.SECTIONS[submit.HTTP][0]
    bare = results.median("b", submit.HTTP, submit.BARE, http)
    return [
        Target(
            "Processing throughput per worker process",
            "Conveyor ÷ Celery solo, at 1 and at 2 workers (the lower)",
            min(found) if len(found) == len(per_worker) else None,
            1.0,
            unit=TIMES,
            note=_throughput_note(results, a),
        ),
        Target(
            "Redis round trips per job in the worker",
            "read events on the server per no-op job, 1 and 2 workers (the higher)",
            max(measured_trips) if len(measured_trips) == len(round_trips) else None,
            2.0,
            op="<=",
        ),
        Target(
            "POST /api/jobs through nginx",
            "Conveyor req/s ÷ Flask + one RQ enqueue req/s (same nginx and gunicorn settings)",
            ratio(results.median("b", submit.HTTP, CONVEYOR, http), bare),
            0.8,
            unit=TIMES,
            note=_submit_note(results, http, bare),
        ),
        Target(
            "1,000-job batch accepted",
            "seconds for POST /api/jobs/batch of 1,000 through nginx",
            results.median("b", submit.BATCH_TIME, CONVEYOR, submit.SECTIONS[submit.BATCH_TIME][0]),
            0.25,
            op="<",
            unit="s",
        ),
        Target(
            "Submit→running on an idle worker",
            "Conveyor's p50 minus Celery solo's (Conveyor's includes the HTTP hop)",
            _latency_gap(results),
            2.0,
            op="<=",
            unit=" ms",
        ),
        Target(
            "Fair-dispatch cost at 10,000 users",
            "µs per dispatch with 10,000 backlogged users ÷ with 10",
            ratio(
                results.median("d", fair.SECTION, CONVEYOR, fair.variant(10_000)),
                results.median("d", fair.SECTION, CONVEYOR, fair.variant(10)),
            ),
            2.0,
            op="<=",
            unit=TIMES,
        ),
        Target(
            "timed 0.5 s jobs at 8 workers",
            "Conveyor jobs/s ÷ linear ideal (8 / 0.5 s = 16 jobs/s)",
            ratio(results.median("e", scaling.SECTION, CONVEYOR, scaling.variant(8)), ideal_8),
            0.9,
            unit=TIMES,
        ),
    ]
