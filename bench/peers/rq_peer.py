"""Bare RQ: the forking ``Worker`` and the in-process ``SimpleWorker``, run by ``rq worker``."""

from __future__ import annotations

import time

import redis
from rq import Queue
from rq.job import Job
from rq.utils import utcparse

from ..config import ROOT
from ..context import BIN, Bench
from ..exceptions import BenchError
from ..procs import Proc, stop_all, wait_until
from .timing import epoch, span

QUEUE = "bench"
NOOP = "bench.peers.tasks.noop"
CHUNK = 1000

WORKER_CLASSES = {"RQ Worker": "rq.worker.Worker", "RQ SimpleWorker": "rq.worker.SimpleWorker"}
"""System name in the report → RQ worker class."""

POLL = 0.0005
"""Seconds between polls of a job's status in the latency loop."""


def fill(connection: redis.Redis, jobs: int) -> list[str]:
    """Enqueue ``jobs`` no-op jobs with ``enqueue_many``; return their ids."""
    queue = Queue(QUEUE, connection=connection)
    ids: list[str] = []
    for done in range(0, jobs, CHUNK):
        batch = [Queue.prepare_data(NOOP) for _ in range(min(CHUNK, jobs - done))]
        with connection.pipeline() as pipe:
            ids += [job.id for job in queue.enqueue_many(batch, pipeline=pipe)]
            pipe.execute()
    return ids


def start_worker(bench: Bench, system: str, number: int, burst: bool) -> Proc:
    argv = [str(BIN / "rq"), "worker", "--url", bench.peer_url, "--path", str(ROOT),
            "--worker-class", WORKER_CLASSES[system]]  # fmt: skip
    if burst:
        argv.append("--burst")
    slug = system.lower().replace(" ", "-")
    return Proc(f"{slug}-{number}", [*argv, QUEUE], bench.log(f"{slug}-{number}"), bench.env())


def stamps(connection: redis.Redis, ids: list[str]) -> tuple[list[float], list[float]]:
    with connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(Job.key_for(job_id), "started_at", "ended_at")
        rows = pipe.execute()
    starts = [epoch(utcparse(s.decode())) for s, _ in rows if s]
    ends = [epoch(utcparse(e.decode())) for _, e in rows if e]
    return starts, ends


def throughput(bench: Bench, system: str, workers: int) -> float:
    """Jobs/s of ``workers`` burst workers over ``config.jobs`` pre-enqueued no-op jobs."""
    bench.require("rq")
    bench.flush_peers()
    connection = bench.peer_redis()
    jobs = bench.config.jobs
    ids = fill(connection, jobs)
    queue = Queue(QUEUE, connection=connection)
    procs = [start_worker(bench, system, n, burst=True) for n in range(workers)]
    try:
        # Burst workers exit once the queue is empty.
        finished = wait_until(
            lambda: not any(p.alive() for p in procs), bench.config.run_timeout, interval=0.1
        )
        if not finished:
            raise BenchError(f"{system}: not done within {bench.config.run_timeout:.0f} s")
        done = queue.finished_job_registry.count
        if done != jobs:
            raise BenchError(f"{system}: {done} of {jobs} jobs finished; {procs[0].tail(3)}")
        return span(*stamps(connection, ids), jobs)
    finally:
        stop_all(procs)
        connection.close()


def latency(bench: Bench, system: str, count: int, warmup: int = 5) -> list[tuple[float, float]]:
    """``(submit→running, submit→completed)`` seconds for ``count`` sequential jobs."""
    bench.require("rq")
    bench.flush_peers()
    connection = bench.peer_redis()
    queue = Queue(QUEUE, connection=connection)
    proc = start_worker(bench, system, 0, burst=False)
    try:
        if not wait_until(lambda: queue.count == 0 and _workers(connection) >= 1, 30):
            raise BenchError(f"{system}: the worker did not register; {proc.tail(3)}")
        samples = []
        for number in range(warmup + count):
            submitted = time.time()
            job = queue.enqueue(NOOP)
            deadline = time.monotonic() + 30
            while connection.hget(job.key, "status") not in (b"finished", b"failed"):
                if time.monotonic() > deadline or not proc.alive():
                    raise BenchError(f"{system}: job {number} did not finish; {proc.tail(3)}")
                time.sleep(POLL)
            starts, ends = stamps(connection, [job.id])
            if number >= warmup:
                samples.append((starts[0] - submitted, ends[0] - submitted))
        return samples
    finally:
        proc.stop()
        connection.close()


def _workers(connection: redis.Redis) -> int:
    return int(connection.scard("rq:workers"))


def enqueue(bench: Bench, count: int) -> dict[str, float]:
    """Library submit rates: ``enqueue`` one by one, ``enqueue_many``, and one 1,000 batch."""
    bench.require("rq")
    bench.flush_peers()
    connection = bench.peer_redis()
    queue = Queue(QUEUE, connection=connection)
    try:
        start = time.perf_counter()
        for _ in range(count):
            queue.enqueue(NOOP)
        one_by_one = count / (time.perf_counter() - start)
        start = time.perf_counter()
        fill(connection, CHUNK)
        batch_seconds = time.perf_counter() - start
        start = time.perf_counter()
        fill(connection, count)
        many = count / (time.perf_counter() - start)
        return {"enqueue": one_by_one, "enqueue_many": many, "batch_1000_s": batch_seconds}
    finally:
        connection.close()
