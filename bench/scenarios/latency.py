"""(c) Latency on an idle fleet of one worker: submit→running and submit→completed.

Sequential jobs (the next is submitted once the last has finished). "Submit" is the
client's clock just before the submit call; "running" and "completed" are the times the
system itself recorded (Conveyor: ``started_at``/``finished_at`` of the SQL row; RQ: the job
hash; BullMQ: ``processedOn``/``finishedOn``, whole ms). Celery records no end time without
extra work, so its "completed" is when the client saw the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from sqlalchemy import text

from .. import conveyor_runner
from ..context import Bench
from ..exceptions import BenchError, Unavailable
from ..gateway import Gateway
from ..net import Client
from ..peers import bullmq_peer, celery_peer, rq_peer
from ..results import CONVEYOR, percentile
from .common import attempt, rotated, say

USER_ID = 301
WARMUP = 5
POLL = 0.002
"""Seconds between reads of a Conveyor job's status (only paces the loop, not the figure)."""

JOB = {"type": "timed", "payload": {"duration_seconds": 0}}

Samples = list[tuple[float, float]]


def section(bench: Bench) -> str:
    return f"(c) Latency, {bench.config.latency_jobs} sequential no-op jobs, 1 idle worker"


VARIANTS = (
    ("submit→running p50", 0, 50),
    ("submit→running p99", 0, 99),
    ("submit→completed p50", 1, 50),
    ("submit→completed p99", 1, 99),
)


def _conveyor(bench: Bench, rep: int) -> Samples:
    reason = conveyor_runner.worker_missing() or conveyor_runner.api_missing()
    if reason:
        raise Unavailable(reason)
    with conveyor_runner.ConveyorStack(bench, f"c-{rep}") as conveyor:
        gateway = Gateway(bench, f"c-{rep}")
        port = gateway.add_conveyor(conveyor.api_port)
        gateway.start()
        try:
            conveyor.start_workers(1)
            if not conveyor.wait_workers_ready(1, 60):
                raise BenchError("the worker did not register with RQ within 60 s")
            return _conveyor_jobs(bench, conveyor, Client(port, conveyor.token(USER_ID)))
        finally:
            gateway.stop()


def _conveyor_jobs(
    bench: Bench, conveyor: conveyor_runner.ConveyorStack, client: Client
) -> Samples:
    assert conveyor.engine is not None
    submitted: dict[str, float] = {}
    status_of = text("SELECT status FROM jobs WHERE id = :id")
    with conveyor.engine.connect() as conn:
        for number in range(WARMUP + bench.config.latency_jobs):
            began = time.time()
            status, answer = client.request("POST", "/api/jobs", JOB)
            if status != 201:
                raise BenchError(f"POST /api/jobs answered {status}: {str(answer)[:200]}")
            if number >= WARMUP:
                submitted[answer["id"]] = began
            deadline = time.monotonic() + 30
            while True:
                found = conn.execute(status_of, {"id": answer["id"]}).scalar()
                if found in conveyor_runner.FINISHED:
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"job {number} still {found} after 30 s")
                time.sleep(POLL)
    client.close()
    rows = {r["id"]: r for r in conveyor.times(USER_ID)}
    samples = []
    for job_id, began in submitted.items():
        row = rows[job_id]
        if row["status"] != "completed" or row["started"] is None or row["finished"] is None:
            raise BenchError(f"a job ended {row['status']} without timestamps")
        samples.append((row["started"] - began, row["finished"] - began))
    return samples


def systems(bench: Bench, rep: int) -> list[tuple[str, Callable[[], Samples]]]:
    count = bench.config.latency_jobs
    found: list[tuple[str, Callable[[], Samples]]] = [(CONVEYOR, lambda: _conveyor(bench, rep))]
    if "rq" in bench.config.peers:
        for name in rq_peer.WORKER_CLASSES:
            found.append((name, partial(rq_peer.latency, bench, name, count, WARMUP)))
    if "celery" in bench.config.peers:
        found.append(("Celery (solo pool)", lambda: celery_peer.latency(bench, count, WARMUP)))
    if "bullmq" in bench.config.peers:
        found.append(("BullMQ (concurrency 1)", lambda: bullmq_peer.latency(bench, count, WARMUP)))
    return found


def run(bench: Bench) -> None:
    for rep in range(bench.config.repeat):
        for system, measure in rotated(systems(bench, rep), rep):
            rows = [
                bench.results.get("c", section(bench), system, name, "ms", higher_is_better=False)
                for name, _, _ in VARIANTS
            ]
            if system == "Celery (solo pool)":
                rows[2].note("completed = when the client saw the result")
                rows[3].note("completed = when the client saw the result")
            if system.startswith("BullMQ"):
                for row in rows:
                    row.note("BullMQ stamps whole milliseconds")
            say(f"(c) rep {rep + 1}: {system}")
            samples = attempt(bench, rows, measure)
            if not samples:
                continue
            for row, (_, index, pct) in zip(rows, VARIANTS, strict=True):
                row.add(percentile([s[index] * 1000 for s in samples], pct))
            running, completed = rows[0].values[-1], rows[2].values[-1]
            say(f"(c)   p50 running {running:.1f} ms, completed {completed:.1f} ms")
