"""``python -m bench.logging_cost``: what logging at ``INFO`` costs Conveyor's (a) and (b).

Each round measures Conveyor alone, once with ``LOG_LEVEL=INFO`` (an access line per
request, a line per job state change) and once with ``LOG_LEVEL=WARNING`` (neither), in
alternating order so that drift on a shared machine falls on both: (a) jobs/s of one worker
over ``BENCH_JOBS`` pre-submitted jobs; (b) ``POST /api/jobs`` per second straight to
job-api (no gateway: the access line is job-api's). Settings as ``python -m bench``
(``BENCH_JOBS``, ``BENCH_REPEAT`` rounds, ``BENCH_HTTP_SECONDS``, ``BENCH_DATABASE_URL``);
the figures go to stdout and ``var/reports/logging-cost.json``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys

from . import conveyor_runner, http_load, tools
from .config import Config
from .context import Bench
from .procs import stop_all
from .scenarios.submit import JOB

LEVELS = ("INFO", "WARNING")
USER_ID = 301


def _throughput(bench: Bench, level: str, rnd: int) -> float:
    env = {"LOG_LEVEL": level}
    with conveyor_runner.ConveyorStack(bench, f"log-a-{level}-{rnd}", env) as stack:
        rate, traffic = conveyor_runner.throughput(
            stack, USER_ID, bench.config.jobs, 1, bench.config.run_timeout
        )
        print(f"[logging-cost] (a) {level:<7} Redis per job: {traffic.round_trips:.2f} round "
              f"trips, {traffic.commands:.2f} commands")  # fmt: skip
        return rate


def _submit_rate(bench: Bench, level: str, rnd: int) -> float:
    env = {"LOG_LEVEL": level}
    with conveyor_runner.ConveyorStack(bench, f"log-b-{level}-{rnd}", env) as stack:
        request = http_load.Request("POST", "/api/jobs", json.dumps(JOB), stack.token(USER_ID))
        return http_load.run(bench, stack.api_port, request, f"log-b-{level}-{rnd}").requests_per_s


def measure(bench: Bench) -> dict[str, dict[str, list[float]]]:
    """Every round's figures: ``{"a": {"INFO": [...], "WARNING": [...]}, "b": {...}}``."""
    figures: dict[str, dict[str, list[float]]] = {"a": {}, "b": {}}
    for rnd in range(bench.config.repeat):
        order = LEVELS if rnd % 2 == 0 else LEVELS[::-1]
        for scenario, run in (("a", _throughput), ("b", _submit_rate)):
            for level in order:
                value = run(bench, level, rnd)
                figures[scenario].setdefault(level, []).append(value)
                print(f"[logging-cost] ({scenario}) {level:<7} round {rnd + 1}: {value:,.1f}/s")
    return figures


def cost(figures: dict[str, list[float]]) -> float:
    """Per cent of the ``WARNING`` rate that ``INFO`` loses (medians; negative: noise)."""
    info, warning = statistics.median(figures["INFO"]), statistics.median(figures["WARNING"])
    return (1 - info / warning) * 100


def main() -> int:
    config = Config.from_env()
    from conveyor_shared.redis_server import RedisServer

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
    summary = {scenario: {**rates, "cost_percent": round(cost(rates), 1)}
               for scenario, rates in figures.items()}  # fmt: skip
    for scenario, row in summary.items():
        print(f"[logging-cost] ({scenario}) INFO costs {row['cost_percent']:+.1f} % (target <= 5)")
    config.out_dir.mkdir(parents=True, exist_ok=True)
    (config.out_dir / "logging-cost.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
