"""(a) Processing throughput: N pre-submitted no-op jobs, 1 and 2 worker processes.

Every system is timed the same way, from its own records: first job started to last job
finished (Conveyor: the SQL rows, all ``completed``; RQ: the job hashes; BullMQ:
``processedOn``/``finishedOn``; Celery: a stamp job first and last).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .. import conveyor_runner
from ..context import Bench
from ..exceptions import Unavailable
from ..peers import bullmq_peer, celery_peer, rq_peer
from ..results import CONVEYOR
from . import record
from .common import attempt, rotated, say

WORKERS = (1, 2)
USER_ID = 101


def section(bench: Bench) -> str:
    return f"(a) Processing throughput, {bench.config.jobs:,} pre-submitted no-op jobs"


def variant(workers: int) -> str:
    return f"{workers} worker process{'es' if workers > 1 else ''}"


REDIS = "(a) Redis per job in the workers (no-op jobs)"
"""The section of the workers' Redis traffic per job, read from the server's counters."""

ROUND_TRIPS = "round trips"
COMMANDS = "commands"


def redis_variant(what: str, workers: int) -> str:
    return f"{what}, {variant(workers)}"


def _conveyor(bench: Bench, workers: int, *, rep: int) -> float:
    reason = conveyor_runner.worker_missing() or conveyor_runner.api_missing()
    if reason:
        raise Unavailable(reason)
    with conveyor_runner.ConveyorStack(bench, f"a-{workers}w-{rep}") as conveyor:
        rate, traffic = conveyor_runner.throughput(
            conveyor, USER_ID, bench.config.jobs, workers, bench.config.run_timeout
        )
    for what, value in ((ROUND_TRIPS, traffic.round_trips), (COMMANDS, traffic.commands)):
        row = bench.results.get("a", REDIS, CONVEYOR, redis_variant(what, workers), "per job",
                                higher_is_better=False)  # fmt: skip
        row.add(value)
    say(f"(a)   Redis per job: {traffic.round_trips:.2f} round trips, "
        f"{traffic.commands:.2f} commands")  # fmt: skip
    return rate


def _rq(bench: Bench, system: str, workers: int) -> float:
    return rq_peer.throughput(bench, system, workers)


def systems(bench: Bench, rep: int) -> list[tuple[str, Callable[[int], float]]]:
    """``(system, measure(workers))`` for Conveyor and every usable peer."""
    found: list[tuple[str, Callable[[int], float]]] = [
        (CONVEYOR, partial(_conveyor, bench, rep=rep))
    ]
    found.append((record.SYSTEM, partial(record.jobs_per_second, bench, rep=rep)))
    if "rq" in bench.config.peers:
        for name in rq_peer.WORKER_CLASSES:
            found.append((name, partial(_rq, bench, name)))
    if "celery" in bench.config.peers:
        found.append(("Celery (solo pool)", lambda w: celery_peer.throughput(bench, w)))
    if "bullmq" in bench.config.peers:
        found.append(("BullMQ (concurrency 1)", lambda w: bullmq_peer.throughput(bench, w)))
    return found


def run(bench: Bench) -> None:
    for rep in range(bench.config.repeat):
        for workers in WORKERS:
            for system, measure in rotated(systems(bench, rep), rep):
                series = bench.results.get("a", section(bench), system, variant(workers), "jobs/s")
                say(f"(a) rep {rep + 1}: {system}, {variant(workers)}")
                value = attempt(bench, [series], partial(measure, workers))
                if value is not None:
                    series.add(value)
                    say(f"(a)   {value:,.1f} jobs/s")
