"""``python -m bench.anatomy``: where one Conveyor job's time goes (for docs/performance.md).

Counts, per job, what a worker process and job-api spend: wall and CPU time, Redis commands
(``INFO commandstats`` deltas on the private Redis), SQL statements and transactions (a
probe, ``bench/probe/sitecustomize.py``, logs every statement SQLAlchemy sends), the time
inside a job versus between jobs, and a cProfile of one worker. Bare RQ's ``SimpleWorker``
is measured the same way for reference. Writes ``var/reports/anatomy.md`` and ``.json``.
``BENCH_ANATOMY_JOBS`` (default 1,000) sets the job count.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from . import conveyor_runner, steps
from .config import ROOT, Config
from .context import Bench
from .peers import rq_peer
from .procs import stop_all, wait_until

PROBE = Path(__file__).resolve().parent / "probe"
USER_ID = 901
TICKS = os.sysconf("SC_CLK_TCK")
OWN_COMMANDS = ("info", "config|resetstat")
"""Commands the measurement itself sends."""

JOB = {"type": "timed", "payload": {"duration_seconds": 0}}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def commands(connection: redis.Redis) -> Counter[str]:
    """Calls per command since the last ``CONFIG RESETSTAT`` (minus the INFO reading them)."""
    stats = connection.info("commandstats")
    found = Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})
    for own in OWN_COMMANDS:
        found.pop(own, None)
    return found


def sql_lines(directory: Path) -> dict[str, Counter[str]]:
    """Statement lines per probe file."""
    return {f.name: Counter(f.read_text().splitlines()) for f in directory.glob("sql-*.log")}


def sql_delta(
    before: dict[str, Counter[str]], after: dict[str, Counter[str]], name: str
) -> Counter[str]:
    return after.get(name, Counter()) - before.get(name, Counter())


def per(counter: Counter[str], jobs: int) -> dict[str, float]:
    return {k: round(v / jobs, 2) for k, v in counter.most_common()}


def _probe_env(directory: Path) -> dict[str, str]:
    inherited = os.environ.get("PYTHONPATH", "")
    path = os.pathsep.join(p for p in (str(PROBE), str(ROOT), inherited) if p)
    return {"PYTHONPATH": path, "BENCH_PROBE_DIR": str(directory)}


def submit_costs(bench: Bench, jobs: int, singles: int) -> dict[str, Any]:
    """job-api's cost per accepted job, by batch and one per request (no worker running)."""
    probe = bench.work_dir / "probe-submit"
    probe.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    with conveyor_runner.ConveyorStack(bench, "anatomy-submit", _probe_env(probe)) as stack:
        connection = bench.conveyor_redis()
        api = stack.procs[0].pid
        workers = children(api) or [api]
        plans = (("batch of 1,000", jobs, False), ("one per request", singles, True))
        for label, count, single in plans:
            before, cpu0 = sql_lines(probe), sum(cpu_seconds(p) for p in workers)
            connection.config_resetstat()
            started = time.perf_counter()
            if single:
                client = stack.client(USER_ID)
                for _ in range(count):
                    client.request("POST", "/api/jobs", JOB)
                client.close()
            else:
                stack.submit(USER_ID, count)
            wall = time.perf_counter() - started
            redis_calls = commands(connection)
            # Read events since the reset: a pipeline counts once; the two INFO are ours.
            reads = int(connection.info("stats")["total_reads_processed"]) - 2
            after = sql_lines(probe)
            sql = sum((sql_delta(before, after, name) for name in after), Counter())
            cpu = sum(cpu_seconds(p) for p in workers) - cpu0
            out[label] = {
                "jobs": count,
                "wall_ms_per_job": round(wall / count * 1000, 3),
                "api_cpu_ms_per_job": round(cpu / count * 1000, 3),
                "redis_commands_per_job": round(sum(redis_calls.values()) / count, 2),
                "redis_round_trips_per_job": round(reads / count, 2),
                "redis": per(redis_calls, count),
                "sql_per_job": per(sql, count),
            }
        connection.close()
    return out


def worker_costs(bench: Bench, jobs: int, profile: bool = False) -> dict[str, Any]:
    """One Conveyor worker's cost per no-op job, measured after it is up and idle."""
    probe = bench.work_dir / ("probe-profile" if profile else "probe-worker")
    probe.mkdir(parents=True, exist_ok=True)
    env = _probe_env(probe)
    with conveyor_runner.ConveyorStack(bench, probe.name, env) as stack:
        worker_env = {"BENCH_PROFILE": "1"} if profile else {}
        (worker,) = stack.start_workers(1, worker_env)
        if not stack.wait_workers_ready(1, 60):
            raise SystemExit("the worker did not register")
        time.sleep(1.0)  # let start-up chores (maintenance, scheduler) settle
        connection = bench.conveyor_redis()
        name = f"sql-{worker.pid}.log"
        before, cpu0 = sql_lines(probe), cpu_seconds(worker.pid)
        connection.config_resetstat()
        stack.submit(USER_ID, jobs)
        stack.wait_finished(USER_ID, jobs, bench.config.run_timeout, interval=0.1)
        cpu = cpu_seconds(worker.pid) - cpu0
        redis_calls = commands(connection)
        sql = sql_delta(before, sql_lines(probe), name)
        rows = sorted(stack.times(USER_ID), key=lambda r: r["started"])
        connection.close()
        stack.stop_workers()
    wall = rows[-1]["finished"] - rows[0]["started"]
    inside = [r["finished"] - r["started"] for r in rows]
    gaps = [b["started"] - a["finished"] for a, b in itertools.pairwise(rows)]
    result: dict[str, Any] = {
        "jobs": jobs,
        "wall_ms_per_job": round(wall / jobs * 1000, 3),
        "worker_cpu_ms_per_job": round(cpu / jobs * 1000, 3),
        "inside_job_ms_mean": round(sum(inside) / len(inside) * 1000, 3),
        "between_jobs_ms_mean": round(sum(gaps) / max(1, len(gaps)) * 1000, 3),
        "redis_commands_per_job_with_submit": round(sum(redis_calls.values()) / jobs, 2),
        "redis": per(redis_calls, jobs),
        "sql_per_job": per(sql, jobs),
    }
    if profile:
        result["profile"] = _profile_text(probe, worker.pid)
    return result


def worker_steps(bench: Bench, jobs: int) -> dict[str, Any]:
    """Redis commands per job by key family (MONITOR), and CPU by step (py-spy), each in a
    pass of its own: both slow the worker down."""
    out: dict[str, Any] = {"jobs": jobs}
    for mode in ("monitor", "py-spy"):
        with conveyor_runner.ConveyorStack(bench, f"anatomy-{mode}") as stack:
            (worker,) = stack.start_workers(1)
            if not stack.wait_workers_ready(1, 60):
                raise SystemExit("the worker did not register")
            time.sleep(1.0)
            if mode == "monitor":
                trace = steps.CommandTrace(bench, "anatomy-monitor").start()
            else:
                sampler = steps.Sampler(bench, worker.pid, "anatomy").start()
                cpu0 = cpu_seconds(worker.pid)
            try:
                stack.submit(USER_ID, jobs)
                stack.wait_finished(USER_ID, jobs, bench.config.run_timeout, interval=0.1)
            finally:
                if mode == "monitor":
                    mine = steps.only_clients(trace.stop(), steps.socket_ports(worker.pid))
                else:
                    cpu = cpu_seconds(worker.pid) - cpu0
                    raw = sampler.stop()
            if mode == "monitor":
                by_family = steps.redis_steps(mine, jobs)
                out["redis_per_job"] = round(sum(steps.totals(by_family).values()), 2)
                out["redis_by_family"] = steps.totals(by_family)
                out["redis_by_command"] = by_family
            else:
                bench.config.out_dir.mkdir(parents=True, exist_ok=True)
                (bench.config.out_dir / "anatomy-worker.pyspy.txt").write_text(raw)
                samples, shares = steps.cpu_steps(raw)
                per_job = cpu / jobs * 1000
                out["sampled_cpu_ms_per_job"] = round(per_job, 3)
                out["samples"] = samples
                out["cpu_ms_per_job_by_step"] = {
                    k: round(v * per_job, 3) for k, v in shares.items()
                }
            stack.stop_workers()
    return out


def _profile_text(probe: Path, pid: int) -> str:
    path = probe / f"profile-{pid}.pstats"
    if not path.exists():
        return "no profile written (the worker did not exit normally)"
    text = io.StringIO()
    stats = pstats.Stats(str(path), stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return text.getvalue()


def rq_costs(bench: Bench, jobs: int) -> dict[str, Any]:
    """Bare RQ SimpleWorker's cost per no-op job, measured the same way."""
    connection = bench.peer_redis()
    bench.flush_peers()
    connection.config_resetstat()
    rq_peer.fill(connection, jobs)
    enqueue = commands(connection)
    bench.flush_peers()
    worker = rq_peer.start_worker(bench, "RQ SimpleWorker", 0, burst=False)
    try:
        wait_until(lambda: int(connection.scard("rq:workers")) >= 1, 30)
        time.sleep(1.0)
        queue = rq_peer.Queue(rq_peer.QUEUE, connection=connection)
        cpu0 = cpu_seconds(worker.pid)
        connection.config_resetstat()
        ids = rq_peer.fill(connection, jobs)
        wait_until(lambda: queue.finished_job_registry.count >= jobs, bench.config.run_timeout)
        cpu = cpu_seconds(worker.pid) - cpu0
        total = commands(connection)
        starts, ends = rq_peer.stamps(connection, ids)
        wall = max(ends) - min(starts)
    finally:
        worker.stop()
        connection.close()
    return {
        "jobs": jobs,
        "wall_ms_per_job": round(wall / jobs * 1000, 3),
        "worker_cpu_ms_per_job": round(cpu / jobs * 1000, 3),
        "enqueue_commands_per_job": round(sum(enqueue.values()) / jobs, 2),
        "worker_commands_per_job": round((sum(total.values()) - sum(enqueue.values())) / jobs, 2),
        "redis": per(total - enqueue, jobs),
    }


def main() -> int:
    from conveyor_testing.redis_server import RedisServer

    config = Config.from_env()
    jobs = int(os.environ.get("BENCH_ANATOMY_JOBS", "1000"))
    bench = Bench(config=config, redis_url="")
    config.work_dir.mkdir(parents=True, exist_ok=True)
    with RedisServer(data_dir=config.work_dir / "redis-anatomy") as server:
        bench.redis_url = server.url
        try:
            report: dict[str, Any] = {
                "database": "postgresql" if config.database_url else "sqlite",
                "submit": submit_costs(bench, jobs, min(jobs, 300)),
                "worker": worker_costs(bench, jobs),
                "rq_simpleworker": rq_costs(bench, jobs),
                "profiled_worker": worker_costs(bench, jobs, profile=True),
                "worker_steps": worker_steps(bench, jobs),
            }
        finally:
            stop_all()
    out = config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    submitted = report["submit"]["batch of 1,000"]["redis_commands_per_job"]
    for key in ("worker", "profiled_worker"):
        with_submit = report[key]["redis_commands_per_job_with_submit"]
        report[key]["redis_commands_per_job"] = round(with_submit - submitted, 2)
    profile = report["profiled_worker"].pop("profile", "")
    (out / "anatomy.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "anatomy-profile.txt").write_text(profile)
    print(json.dumps(report, indent=2))
    print(f"[bench] wrote {out / 'anatomy.json'} and {out / 'anatomy-profile.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
