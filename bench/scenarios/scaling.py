"""(e) ``timed`` 0.5 s jobs with 1, 2, 4 and 8 workers, against the linear ideal.

Workers are started and registered before the jobs are submitted (one batch), so worker
start-up is not counted; throughput runs from the first job's start to the last one's end.
"""

from __future__ import annotations

from functools import partial

from .. import conveyor_runner
from ..context import Bench
from ..exceptions import BenchError, Unavailable
from ..results import CONVEYOR
from .common import attempt, say

DURATION = 0.5
USER_ID = 501
IDEAL = "linear ideal"
SECTION = "(e) timed 0.5 s jobs"


def variant(workers: int) -> str:
    return f"{workers} worker process{'es' if workers > 1 else ''}"


def _measure(bench: Bench, workers: int, rep: int) -> float:
    reason = conveyor_runner.worker_missing() or conveyor_runner.api_missing()
    if reason:
        raise Unavailable(reason)
    jobs = bench.config.timed_jobs_per_worker * workers
    with conveyor_runner.ConveyorStack(bench, f"e-{workers}w-{rep}") as conveyor:
        conveyor.start_workers(workers)
        if not conveyor.wait_workers_ready(workers, 90):
            raise BenchError(f"{workers} workers did not all register with RQ within 90 s")
        conveyor.submit(USER_ID, jobs, DURATION)
        conveyor.wait_finished(USER_ID, jobs, bench.config.run_timeout)
        rows = conveyor.times(USER_ID)
    if any(r["status"] != "completed" for r in rows):
        raise BenchError("some timed jobs did not complete")
    starts = [r["started"] for r in rows]
    ends = [r["finished"] for r in rows]
    return jobs / (max(ends) - min(starts))


def run(bench: Bench) -> None:
    for rep in range(bench.config.repeat):
        for workers in bench.config.timed_workers:
            row = bench.results.get("e", SECTION, CONVEYOR, variant(workers), "jobs/s")
            ideal = bench.results.get("e", SECTION, IDEAL, variant(workers), "jobs/s")
            say(f"(e) rep {rep + 1}: {variant(workers)}")
            value = attempt(bench, [row], partial(_measure, bench, workers, rep))
            ideal.add(workers / DURATION)
            if value is not None:
                row.add(value)
                say(f"(e)   {value:.2f} jobs/s = {value / (workers / DURATION):.0%} of linear")
