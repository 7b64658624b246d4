"""Run the selected scenarios on a private Redis and write the reports."""

from __future__ import annotations

import shutil
import signal
import sys
import time
import traceback
from types import FrameType

from . import conveyor_runner, machine, report, targets, tools
from .config import Config
from .context import Bench
from .procs import stop_all
from .scenarios import SCENARIOS


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through every ``finally``: child process groups get stopped.
    raise SystemExit(128 + signum)


def prepare(bench: Bench) -> None:
    """Install what the selected peers and tools need; record what stays missing."""
    config = bench.config
    if "celery" in config.peers and (reason := tools.ensure_celery()):
        bench.missing["celery"] = reason
    if "bullmq" in config.peers and (reason := tools.ensure_bullmq()):
        bench.missing["bullmq"] = reason
    needs_express = "express" in config.peers and "b" in config.scenarios
    if needs_express and (reason := tools.ensure_express()):
        bench.missing["express"] = reason
    if {"b", "f"} & set(config.scenarios):
        bench.wrk, how = tools.ensure_wrk()
        bench.load_method = how if bench.wrk else f"Python threads with http.client ({how})"
    for piece, reason in (
        ("conveyor job-api", conveyor_runner.api_missing()),
        ("conveyor worker", conveyor_runner.worker_missing()),
    ):
        if reason:
            bench.missing[piece] = reason


def main() -> int:
    signal.signal(signal.SIGTERM, _on_signal)
    config = Config.from_env()
    from conveyor_testing.redis_server import RedisServer

    began = time.monotonic()
    described = machine.describe()
    print(
        f"[bench] {described['cores']} cores, load {described['load_at_start']}, "
        f"scenarios {','.join(config.scenarios)}, {config.jobs:,} jobs, {config.repeat} reps",
        flush=True,
    )
    shutil.rmtree(config.work_dir, ignore_errors=True)
    config.work_dir.mkdir(parents=True)
    server = RedisServer(data_dir=config.work_dir / "redis").start()
    bench = Bench(config=config, redis_url=server.url)
    try:
        prepare(bench)
        described["versions"] = machine.describe()["versions"]  # after installs
        for key in config.scenarios:
            title, module = SCENARIOS[key]
            print(f"[bench] scenario ({key}) {title}", flush=True)
            scenario_began = time.monotonic()
            try:
                module.run(bench)
            except Exception as error:  # one broken scenario must not lose the others
                bench.results.notes.append(f"scenario ({key}) stopped early: {error!r}")
                traceback.print_exc()
            finally:
                stop_all()
                took = time.monotonic() - scenario_began
                described.setdefault("scenario_seconds", {})[key] = round(took, 1)
                print(f"[bench] scenario ({key}) took {took:.0f} s", flush=True)
        bench.results.targets = targets.judge(bench.results)
    finally:
        stop_all()
        server.close()
    described["load_at_end"] = machine.load()
    described["seconds"] = time.monotonic() - began
    md, js = report.write(bench, described)
    print(md.read_text())
    print(f"[bench] wrote {md} and {js}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
