"""``python -m bench.logging_cost``: what logging at ``INFO`` costs Conveyor's (a) and (b).

Each round measures Conveyor alone, once with ``LOG_LEVEL=INFO`` (an access line per
request, a line per job state change) and once with ``LOG_LEVEL=WARNING`` (neither), in
alternating order so that drift on a shared machine falls on both:

- (a) one worker over ``BENCH_JOBS`` jobs: its CPU per job (every thread of the process,
  from ``/proc``, from when it is ready to the last job's end) and its jobs/s;
- (b) ``POST /api/jobs`` straight to job-api (no gateway: the access line is job-api's) for
  ``BENCH_HTTP_SECONDS``: job-api's CPU per request (master and workers) and requests/s.

CPU per unit is the figure to judge: on a machine other work shares, rates swing by tens of
per cent between runs, CPU time much less. Settings as ``python -m bench`` (``BENCH_JOBS``,
``BENCH_REPEAT`` rounds, ``BENCH_HTTP_SECONDS``, ``BENCH_DATABASE_URL``); the figures go to
stdout and ``var/reports/logging-cost.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from . import conveyor_runner, http_load, tools
from .config import Config
from .context import Bench
from .exceptions import BenchError
from .procs import stop_all
from .scenarios.submit import JOB

LEVELS = ("INFO", "WARNING")
USER_ID = 301

Figures = dict[str, float]
"""One measurement: ``rate`` (per second) and ``cpu_ms`` (per job or request)."""


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by every process in the process group ``pgid``."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp, …, utime, stime
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _jobs(bench: Bench, level: str, rnd: int) -> Figures:
    jobs = bench.config.jobs
    with conveyor_runner.ConveyorStack(
        bench, f"log-a-{level}-{rnd}", {"LOG_LEVEL": level}
    ) as stack:
        (worker,) = stack.start_workers(1)
        if not stack.wait_workers_ready(1):
            raise BenchError("the worker did not start")
        before, started = group_cpu(worker.pid), time.monotonic()
        stack.submit(USER_ID, jobs)
        stack.wait_finished(USER_ID, jobs, bench.config.run_timeout)
        cpu, elapsed = group_cpu(worker.pid) - before, time.monotonic() - started
        stack.stop_workers()
    return {"rate": jobs / elapsed, "cpu_ms": cpu / jobs * 1000}


def _requests(bench: Bench, level: str, rnd: int) -> Figures:
    name = f"log-b-{level}-{rnd}"
    with conveyor_runner.ConveyorStack(bench, name, {"LOG_LEVEL": level}) as stack:
        api = stack.procs[-1]  # job-api's gunicorn, its own process group
        request = http_load.Request("POST", "/api/jobs", json.dumps(JOB), stack.token(USER_ID))
        before = group_cpu(api.pid)
        load = http_load.run(bench, stack.api_port, request, name)
        cpu = group_cpu(api.pid) - before
    if not load.requests:
        raise BenchError("no request was answered")
    return {"rate": load.requests_per_s, "cpu_ms": cpu / load.requests * 1000}


def measure(bench: Bench) -> dict[str, dict[str, list[Figures]]]:
    """Every round's figures: ``{"a": {"INFO": [...], "WARNING": [...]}, "b": {...}}``."""
    figures: dict[str, dict[str, list[Figures]]] = {"a": {}, "b": {}}
    for rnd in range(bench.config.repeat):
        order = LEVELS if rnd % 2 == 0 else LEVELS[::-1]
        for scenario, run in (("a", _jobs), ("b", _requests)):
            for level in order:
                value = run(bench, level, rnd)
                figures[scenario].setdefault(level, []).append(value)
                rate, cpu = value["rate"], value["cpu_ms"]
                print(f"[logging-cost] ({scenario}) {level:<7} round {rnd + 1}: {rate:,.1f}/s, "
                      f"{cpu:.3f} ms CPU each", flush=True)  # fmt: skip
    return figures


def cost(rounds: dict[str, list[Figures]], key: str) -> float:
    """Per cent more CPU (``cpu_ms``) or less throughput (``rate``) at ``INFO`` than at
    ``WARNING``, from the medians; negative values are noise."""
    info = statistics.median(r[key] for r in rounds["INFO"])
    warning = statistics.median(r[key] for r in rounds["WARNING"])
    return (info / warning - 1) * 100 if key == "cpu_ms" else (1 - info / warning) * 100


def main() -> int:
    config = Config.from_env()
    from conveyor_testing.redis_server import RedisServer

    shutil.rmtree(config.work_dir, ignore_errors=True)
    config.work_dir.mkdir(parents=True)
    server = RedisServer(data_dir=config.work_dir / "redis").start()
    bench = Bench(config=config, redis_url=server.url)
    bench.wrk, bench.load_method = tools.ensure_wrk()
    try:
        figures = measure(bench)
    finally:
        stop_all()
        server.close()
    summary = {}
    for scenario, rounds in figures.items():
        summary[scenario] = {**rounds, "cpu_cost_percent": round(cost(rounds, "cpu_ms"), 1),
                             "rate_cost_percent": round(cost(rounds, "rate"), 1)}  # fmt: skip
        row = summary[scenario]
        print(f"[logging-cost] ({scenario}) INFO costs {row['cpu_cost_percent']:+.1f} % CPU, "
              f"{row['rate_cost_percent']:+.1f} % rate (target <= 5)")  # fmt: skip
    config.out_dir.mkdir(parents=True, exist_ok=True)
    (config.out_dir / "logging-cost.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
