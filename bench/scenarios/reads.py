"""(f) ``GET /api/jobs/{id}`` through nginx: job-api as configured vs its cache turned off.

"Cached" is job-api's default configuration; "uncached" is the same app built with
``CACHE_TYPE=NullCache`` (Flask-Caching's no-op backend; ``JOB_CACHE_ENABLED=0`` sets the same
from the environment), which also skips the version lookups, so it reads as before the cache.
Both run side by side on the same database, each behind its own nginx with the project's
gateway config, alternating runs. The job read has completed (when a worker exists), so its
cached answer stays valid for the whole run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial

from .. import conveyor_runner, http_load
from ..context import Bench
from ..exceptions import BenchError
from ..gateway import Gateway
from ..results import CONVEYOR
from .common import attempt, rotated, say

USER_ID = 601
SECTION = "(f) GET /api/jobs/{id} through nginx"
VARIANT = "one job, same id every request"
UNCACHED = "Conveyor, cache off (CACHE_TYPE=NullCache)"
UNCACHED_APP = "job_api:create_app({'CACHE_TYPE': 'NullCache'})"


def _job(conveyor: conveyor_runner.ConveyorStack) -> str:
    """Submit one job and, when a worker exists, let it complete (a settled job)."""
    client = conveyor.client(USER_ID)
    status, answer = client.request(
        "POST", "/api/jobs", {"type": "timed", "payload": {"duration_seconds": 0}}
    )
    client.close()
    if status != 201:
        raise BenchError(f"POST /api/jobs answered {status}")
    if conveyor_runner.worker_missing() is None:
        conveyor.start_workers(1)
        conveyor.wait_finished(USER_ID, 1, 60)
        conveyor.stop_workers()
    return str(answer["id"])


def _load(bench: Bench, port: int, path: str, token: str, name: str) -> float:
    load = http_load.run(bench, port, http_load.Request("GET", path, None, token), name)
    if load.errors:
        raise BenchError(f"{load.errors} of {load.requests} requests failed")
    say(f"(f)   {load.requests_per_s:,.0f} req/s, p50 {load.p50_ms:.1f} ms")
    return load.requests_per_s


def run(bench: Bench) -> None:
    cached = bench.results.get("f", SECTION, CONVEYOR, VARIANT, "req/s")
    uncached = bench.results.get("f", SECTION, UNCACHED, VARIANT, "req/s")
    with contextlib.ExitStack() as cleanup:
        conveyor = attempt(
            bench,
            [cached, uncached],
            lambda: cleanup.enter_context(conveyor_runner.ConveyorStack(bench, "f")),
        )
        if conveyor is None:
            return
        if not conveyor_runner.api_has_cache(conveyor.env):
            cached.note("job-api has no response cache yet: every read goes to SQL")
            uncached.fail("job-api registers no Flask-Caching cache: the row above is uncached")
        job_id = attempt(bench, [cached, uncached], lambda: _job(conveyor))
        if job_id is None:
            return
        rows = {CONVEYOR: cached, UNCACHED: uncached}
        apis = [(CONVEYOR, conveyor.api_port)]
        if uncached.unavailable is None:
            port = attempt(
                bench, [uncached], lambda: conveyor.start_api("job-api-nocache", UNCACHED_APP)
            )
            if port:
                apis.append((UNCACHED, port))
        token = conveyor.token(USER_ID)
        runs: list[tuple[str, Callable[[], float]]] = []
        for number, (name, api_port) in enumerate(apis):
            gateway = Gateway(bench, f"f-{number}")
            gateway_port = gateway.add_conveyor(api_port)
            cleanup.callback(gateway.stop)
            if attempt(bench, [rows[name]], gateway.start) is None:
                continue
            path = f"/api/jobs/{job_id}"
            runs.append((name, partial(_load, bench, gateway_port, path, token, name)))
        for rep in range(bench.config.repeat):
            for name, measure in rotated(runs, rep):
                say(f"(f) rep {rep + 1}: {name}")
                value = attempt(bench, [rows[name]], measure)
                if value is not None:
                    rows[name].add(value)
