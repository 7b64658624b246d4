"""BullMQ (Node): workers of concurrency 1, one per process, driven through ``bench.mjs``."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import redis

from ..context import Bench
from ..exceptions import BenchError
from ..procs import Proc, stop_all, wait_until
from ..tools import BULLMQ_DIR
from .timing import span

QUEUE = "bench"
PREFIX = f"bull:{QUEUE}:"


def _env(bench: Bench) -> dict[str, str]:
    return bench.env(BENCH_REDIS_URL=bench.peer_url, BENCH_QUEUE=QUEUE)


def _node(bench: Bench, mode: str, count: int) -> dict[str, Any]:
    """Run ``node bench.mjs MODE COUNT`` and return the JSON line it prints."""
    try:
        done = subprocess.run(
            ["node", "bench.mjs", mode, str(count)], cwd=BULLMQ_DIR, env=_env(bench),
            capture_output=True, text=True, timeout=bench.config.run_timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"bullmq {mode}: no answer within {error.timeout:.0f} s") from None
    if done.returncode:
        raise BenchError(f"bullmq {mode} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def start_worker(bench: Bench, number: int) -> Proc:
    argv = ["node", "bench.mjs", "work", "1"]
    return Proc(f"bullmq-{number}", argv, bench.log(f"bullmq-{number}"), _env(bench), BULLMQ_DIR)


def _ready(proc: Proc) -> bool:
    if not proc.alive():
        raise BenchError(f"bullmq worker exited; {proc.tail(3)}")
    return "READY" in proc.tail(50)


def _stamps(connection: redis.Redis) -> tuple[list[float], list[float]]:
    ids: list[bytes] = connection.zrange(f"{PREFIX}completed", 0, -1)  # type: ignore[assignment]
    with connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(PREFIX + job_id.decode(), "processedOn", "finishedOn")
        rows = pipe.execute()
    starts = [int(s) / 1000 for s, _ in rows if s]
    ends = [int(e) / 1000 for _, e in rows if e]
    return starts, ends


def throughput(bench: Bench, workers: int) -> float:
    """Jobs/s of ``workers`` worker processes over pre-added no-op jobs."""
    bench.require("bullmq")
    bench.flush_peers()
    jobs = bench.config.jobs
    _node(bench, "fill", jobs)
    connection = bench.peer_redis()
    procs = [start_worker(bench, n) for n in range(workers)]
    try:

        def done() -> bool:
            if not any(p.alive() for p in procs):
                raise BenchError(f"bullmq workers exited; {procs[0].tail(3)}")
            return int(connection.zcard(f"{PREFIX}completed")) >= jobs

        if not wait_until(done, bench.config.run_timeout, interval=0.05):
            raise BenchError(f"bullmq: not done within {bench.config.run_timeout:.0f} s")
        return span(*_stamps(connection), jobs)
    finally:
        stop_all(procs)
        connection.close()


def latency(bench: Bench, count: int, warmup: int = 5) -> list[tuple[float, float]]:
    """``(submit→processedOn, submit→finishedOn)`` seconds (BullMQ stamps in whole ms)."""
    bench.require("bullmq")
    bench.flush_peers()
    proc = start_worker(bench, 0)
    try:
        if not wait_until(lambda: _ready(proc), 60):
            raise BenchError(f"bullmq: the worker did not become ready; {proc.tail(3)}")
        samples = _node(bench, "latency", warmup + count)["samples"][warmup:]
        return [((p - s) / 1000, (f - s) / 1000) for s, p, f in samples]
    finally:
        proc.stop()


def enqueue(bench: Bench, count: int) -> dict[str, float]:
    """Library submit rates: ``add`` one by one and ``addBulk``."""
    bench.require("bullmq")
    bench.flush_peers()
    return {k: float(v) for k, v in _node(bench, "enqueue", count).items()}
