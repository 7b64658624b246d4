"""Celery: solo pool (one task at a time per process), Redis broker and result backend."""

from __future__ import annotations

import time

from ..context import BIN, Bench
from ..exceptions import BenchError
from ..procs import Proc, stop_all, wait_until

FIRST_KEY = "bench:celery:first"
LAST_KEY = "bench:celery:last"


def start_worker(bench: Bench, number: int) -> Proc:
    argv = [str(BIN / "celery"), "-A", "bench.peers.celery_app", "-b", bench.peer_url,
            "--result-backend", bench.peer_url, "worker", "--pool", "solo",
            "--concurrency", "1", "-n", f"bench{number}@%h"]  # fmt: skip
    return Proc(f"celery-{number}", argv, bench.log(f"celery-{number}"), bench.env())


def throughput(bench: Bench, workers: int) -> float:
    """Jobs/s of ``workers`` solo workers over pre-sent no-op tasks (first to last stamp)."""
    bench.require("celery")
    from .celery_app import configure, noop, stamp

    bench.flush_peers()
    app = configure(bench.peer_url)
    jobs = bench.config.jobs
    with app.producer_or_acquire() as producer:
        stamp.apply_async((FIRST_KEY,), producer=producer)
        for _ in range(jobs - 2):
            noop.apply_async(producer=producer)
        stamp.apply_async((LAST_KEY,), producer=producer)
    connection = bench.peer_redis()
    procs = [start_worker(bench, n) for n in range(workers)]
    try:

        def done() -> bool:
            if not any(p.alive() for p in procs):
                raise BenchError(f"celery workers exited; {procs[0].tail(3)}")
            return bool(connection.exists(LAST_KEY)) and connection.llen("celery") == 0

        if not wait_until(done, bench.config.run_timeout, interval=0.05):
            raise BenchError(f"celery: not done within {bench.config.run_timeout:.0f} s")
        first, last = (float(connection.get(k) or 0) for k in (FIRST_KEY, LAST_KEY))
        if last <= first:
            raise BenchError("celery: nonsensical stamps")
        return jobs / (last - first)
    finally:
        stop_all(procs)
        connection.close()


def latency(bench: Bench, count: int, warmup: int = 5) -> list[tuple[float, float]]:
    """``(submit→running, submit→result seen)`` seconds for ``count`` sequential tasks."""
    bench.require("celery")
    from .celery_app import READY_KEY, configure, started

    bench.flush_peers()
    configure(bench.peer_url)
    connection = bench.peer_redis()
    proc = start_worker(bench, 0)
    try:
        if not wait_until(lambda: int(connection.get(READY_KEY) or 0) >= 1, 60):
            raise BenchError(f"celery: the worker did not become ready; {proc.tail(3)}")
        samples = []
        for number in range(warmup + count):
            submitted = time.time()
            began = float(started.apply_async().get(timeout=30))
            seen = time.time()
            if number >= warmup:
                samples.append((began - submitted, seen - submitted))
        return samples
    finally:
        proc.stop()
        connection.close()


def enqueue(bench: Bench, count: int) -> dict[str, float]:
    """Library submit rate: ``apply_async`` one by one (Celery has no bulk send)."""
    bench.require("celery")
    from .celery_app import configure, noop

    bench.flush_peers()
    app = configure(bench.peer_url)
    with app.producer_or_acquire() as producer:
        noop.apply_async(producer=producer)  # connect before timing
        start = time.perf_counter()
        for _ in range(count):
            noop.apply_async(producer=producer)
        return {"apply_async": count / (time.perf_counter() - start)}
