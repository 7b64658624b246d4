"""The goals the report judges: each a ratio or a time read off the measured medians."""

from __future__ import annotations

from .results import CONVEYOR, TIMES, Results, Target, ratio
from .scenarios import fair, scaling, submit, throughput


def _ceiling(share: float | None) -> str:
    """Say how far the route itself goes, with nothing stored (``submit.REQUEST_PATH``)."""
    if share is None:
        return ""
    return (
        f"job-api's request path with nothing stored reaches {share:.2f}{TIMES} the hello: "
        "the most this route can reach on this stack"
    )


def judge(results: Results) -> list[Target]:
    """Return the targets with their values (None where a figure is missing)."""
    a = next((s.section for s in results.series if s.scenario == "a"), "")
    per_worker = [
        ratio(
            results.median("a", a, CONVEYOR, throughput.variant(w)),
            results.median("a", a, "RQ SimpleWorker", throughput.variant(w)),
        )
        for w in throughput.WORKERS
    ]
    found = [r for r in per_worker if r is not None]
    ideal_8 = results.median("e", scaling.SECTION, scaling.IDEAL, scaling.variant(8))
    http = submit.SECTIONS[submit.HTTP][0]
    hello = results.median("b", submit.HTTP, submit.HELLO, http)
    return [
        Target(
            "Processing throughput per worker process",
            "Conveyor ÷ bare RQ SimpleWorker, at 1 and at 2 workers (the lower)",
            min(found) if len(found) == len(per_worker) else None,
            1.0,
            unit=TIMES,
        ),
        Target(
            "POST /api/jobs through nginx",
            "Conveyor req/s ÷ Flask JSON hello req/s (same nginx and gunicorn settings)",
            ratio(results.median("b", submit.HTTP, CONVEYOR, http), hello),
            0.3,
            unit=TIMES,
            note=_ceiling(
                ratio(results.median("b", submit.HTTP, submit.REQUEST_PATH, http), hello)
            ),
        ),
        Target(
            "1,000-job batch accepted",
            "seconds for POST /api/jobs/batch of 1,000 through nginx",
            results.median("b", submit.BATCH_TIME, CONVEYOR, submit.SECTIONS[submit.BATCH_TIME][0]),
            1.0,
            op="<",
            unit="s",
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
