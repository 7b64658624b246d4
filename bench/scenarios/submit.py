"""(b) Submit throughput: ``POST /api/jobs`` through nginx, and 1,000-job batches.

One request shape (bearer token, JSON body) goes to every target behind the same nginx:
Conveyor's job-api, a bare Flask app doing one RQ enqueue and a Flask JSON hello (both on
job-api's gunicorn settings), and the original brief's stack, Express + BullMQ +
PostgreSQL. Batches and the peers' library submit calls complete the picture.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from functools import partial

from conveyor_testing import free_port

from .. import conveyor_runner, http_load
from ..context import Bench
from ..exceptions import BenchError, Unavailable
from ..gateway import Gateway
from ..infra import gunicorn_argv
from ..net import Client, wait_answers
from ..peers import bullmq_peer, celery_peer, express_peer, rq_peer
from ..procs import Proc
from ..results import CONVEYOR, TIMES, Series
from .common import attempt, rotated, say

USER_ID = 201
JOB = {"type": "timed", "payload": {"duration_seconds": 0}}
BATCH = 1000
ENQUEUE_COUNT = 2000
"""Jobs each library submit measurement sends (one by one, then in bulk)."""

STALLED_PER_CONNECTION = 2
"""Fewer answered requests than this per connection in one load run marks it stalled."""

SETTLE_TIMEOUT = 120.0
"""Seconds job-api gets to answer again after a load run, before the batch is timed."""

HTTP = "(b) Submit over HTTP through nginx, one job per request"
ONE_BY_ONE = "(b) Submit rate, one job per call"
BULK = "(b) Submit rate, jobs in bulk"
BATCH_TIME = "(b) Time to accept one batch of 1,000 jobs"

SECTIONS = {
    HTTP: ("POST, bearer token, JSON body", "req/s", True),
    ONE_BY_ONE: ("one call per job (Conveyor: HTTP)", "jobs/s", True),
    BULK: ("bulk calls of 1,000 (Conveyor: HTTP batch)", "jobs/s", True),
    BATCH_TIME: ("1,000 jobs in one call", "s", False),
}
"""Section → (variant, unit, higher is better)."""

BARE = "Flask + one RQ enqueue"
REQUEST_PATH = "Conveyor's request path, nothing stored"
"""job-api itself with a group commit that stores nothing (no SQL row, no push): the ceiling."""
REQUEST_PATH_APP = "bench.apps.request_path:create_app()"
HELLO = "Flask JSON hello"
BARE_SYNC = "Flask + one RQ enqueue (sync workers)"
HELLO_SYNC = "Flask JSON hello (sync workers)"
EXPRESS = "Express + BullMQ + PostgreSQL"
"""The original brief's stack (seed 004), one Node process per core: see express_peer."""
PATHS = {CONVEYOR: "/api/jobs", REQUEST_PATH: "/api/jobs", BARE: "/enqueue", HELLO: "/hello",
         BARE_SYNC: "/enqueue", HELLO_SYNC: "/hello", EXPRESS: "/jobs"}  # fmt: skip


def series(bench: Bench, section: str, system: str) -> Series:
    variant, unit, higher = SECTIONS[section]
    return bench.results.get("b", section, system, variant, unit, higher)


def _bare_app(bench: Bench, cleanup: contextlib.ExitStack, worker_class: str | None = None) -> int:
    port = free_port()
    app = f"bench.apps.bare:create_app({{'REDIS_URL': {bench.peer_url!r}}})"
    name = f"bench-bare-{worker_class or 'default'}"
    argv, _ = gunicorn_argv(app, port, name, worker_class)
    proc = Proc(name, argv, bench.log(name), bench.env())
    cleanup.callback(proc.stop)
    if not wait_answers(port, "/healthz", 60):
        raise Unavailable(f"the bare Flask app did not start: {proc.tail(3)}")
    return port


def _http(bench: Bench, port: int, path: str, token: str | None, system: str) -> float:
    request = http_load.Request("POST", path, json.dumps(JOB), token)
    load = http_load.run(bench, port, request, system.replace(" ", "-"))
    if load.errors >= load.requests:
        raise BenchError(f"every request to {path} failed")
    row = series(bench, HTTP, system)
    if load.errors:
        row.note(f"{load.errors} of {load.requests} requests failed")
    if load.requests < bench.config.http_connections * STALLED_PER_CONNECTION:
        # Requests still unanswered when the run ends count nowhere: say so, or the row
        # would read as merely slow.
        row.note(
            f"stalled: {load.requests} requests answered in {bench.config.http_seconds:.0f} s "
            f"over {bench.config.http_connections} connections"
        )
    rate, p50, p99 = load.requests_per_s, load.p50_ms, load.p99_ms
    say(f"(b)   {rate:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return load.requests_per_s


def _settle(stack: conveyor_runner.ConveyorStack, timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until job-api answers a read again (a stalled load run leaves requests behind)."""
    client = stack.client(USER_ID)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                status, _ = client.request("GET", "/api/jobs?per_page=1")
            except OSError:
                status = 0
            if status == 200:
                return
            time.sleep(0.5)
    finally:
        client.close()
    raise BenchError(f"job-api did not answer GET /api/jobs within {timeout:.0f} s")


def _settled_batch(stack: conveyor_runner.ConveyorStack, client: Client) -> float:
    _settle(stack)
    return _batch_seconds(client)


def _batch_seconds(client: Client) -> float:
    start = time.perf_counter()
    status, answer = client.request("POST", "/api/jobs/batch", {"jobs": [JOB] * BATCH})
    elapsed = time.perf_counter() - start
    if status != 201:
        raise BenchError(f"POST /api/jobs/batch answered {status}: {str(answer)[:200]}")
    return elapsed


def _libraries(bench: Bench) -> None:
    """The peers' own submit calls, in process (no HTTP, no database)."""
    plans: list[tuple[str, Callable[[], dict[str, float]], dict[str, tuple[str, str]]]] = []
    if "rq" in bench.config.peers:
        plans.append(("RQ", lambda: rq_peer.enqueue(bench, ENQUEUE_COUNT), {
            "enqueue": (ONE_BY_ONE, "RQ enqueue"), "enqueue_many": (BULK, "RQ enqueue_many"),
            "batch_1000_s": (BATCH_TIME, "RQ enqueue_many")}))  # fmt: skip
    if "celery" in bench.config.peers:
        plans.append(("Celery", lambda: celery_peer.enqueue(bench, ENQUEUE_COUNT), {
            "apply_async": (ONE_BY_ONE, "Celery apply_async")}))  # fmt: skip
    if "bullmq" in bench.config.peers:
        plans.append(("BullMQ", lambda: bullmq_peer.enqueue(bench, ENQUEUE_COUNT), {
            "add_per_s": (ONE_BY_ONE, "BullMQ add"), "addbulk_per_s": (BULK, "BullMQ addBulk"),
            "addbulk_1000_s": (BATCH_TIME, "BullMQ addBulk")}))  # fmt: skip
    for peer, measure, rows in plans:
        say(f"(b) {peer}: library submit rates")
        found = attempt(bench, [series(bench, s, n) for s, n in rows.values()], measure)
        for key, (section, system) in rows.items():
            if found and key in found:
                series(bench, section, system).add(found[key])


def _note_ceiling(bench: Bench) -> None:
    """Say on the request path's row what share of the JSON hello it reaches."""
    path, hello = series(bench, HTTP, REQUEST_PATH), series(bench, HTTP, HELLO)
    if path.ok and hello.ok and path.median and hello.median:
        path.note(f"{path.median / hello.median:.2f}{TIMES} the JSON hello's req/s")


def _targets(
    bench: Bench, ports: dict[str, int], token: str | None
) -> list[tuple[str, Callable[[], float]]]:
    return [
        (name, partial(_http, bench, port, PATHS[name], token, name))
        for name, port in ports.items()
    ]


def run(bench: Bench) -> None:
    conveyor = [series(bench, section, CONVEYOR) for section in SECTIONS]
    ceiling = [series(bench, HTTP, REQUEST_PATH)]
    baselines = [series(bench, HTTP, BARE), series(bench, HTTP, HELLO)]
    sync = [series(bench, HTTP, BARE_SYNC), series(bench, HTTP, HELLO_SYNC)]
    express = [series(bench, HTTP, EXPRESS)] if "express" in bench.config.peers else []
    if bench.wrk is None:
        series(bench, HTTP, CONVEYOR).note(f"load from Python threads ({bench.load_method})")
    with contextlib.ExitStack() as cleanup:
        stack = attempt(
            bench,
            conveyor,
            lambda: cleanup.enter_context(conveyor_runner.ConveyorStack(bench, "b")),
        )
        path_port = None
        if stack:
            serving = stack
            path_port = attempt(
                bench, ceiling, lambda: serving.start_api("request-path", REQUEST_PATH_APP)
            )
        bare_port = attempt(bench, baselines, lambda: _bare_app(bench, cleanup))
        sync_port = attempt(bench, sync, lambda: _bare_app(bench, cleanup, "sync"))
        express_port = None
        if express:
            express_port = attempt(bench, express, lambda: express_peer.start(bench, cleanup))
        gateway = Gateway(bench, "b")
        cleanup.callback(gateway.stop)
        ports: dict[str, int] = {}
        if stack:
            ports[CONVEYOR] = gateway.add_conveyor(stack.api_port)
        if path_port:
            ports[REQUEST_PATH] = gateway.add_proxy("bench_request_path", path_port)
        if bare_port:
            ports[BARE] = ports[HELLO] = gateway.add_proxy("bench_bare", bare_port)
        if sync_port:
            ports[BARE_SYNC] = ports[HELLO_SYNC] = gateway.add_proxy("bench_sync", sync_port)
        if express_port:
            ports[EXPRESS] = gateway.add_proxy("bench_express", express_port)
        everything = conveyor + ceiling + baselines + sync + express
        if not ports or attempt(bench, everything, gateway.start) is None:
            _libraries(bench)
            return
        token = stack.token(USER_ID) if stack else None
        client = Client(ports[CONVEYOR], token=token) if stack else None
        if client:
            cleanup.callback(client.close)
            attempt(bench, conveyor[2:], lambda: _batch_seconds(client))  # warm-up, not counted
        for rep in range(bench.config.repeat):
            if client and stack:
                # The batch goes first, on an idle job-api, so no load run's leftovers count.
                say(f"(b) rep {rep + 1}: Conveyor, one batch of {BATCH:,}")
                seconds = attempt(bench, conveyor[2:], partial(_settled_batch, stack, client))
                if seconds is not None:
                    series(bench, BATCH_TIME, CONVEYOR).add(seconds)
                    series(bench, BULK, CONVEYOR).add(BATCH / seconds)
            for name, measure in rotated(_targets(bench, ports, token), rep):
                say(f"(b) rep {rep + 1}: {name}, one job per request")
                value = attempt(bench, [series(bench, HTTP, name)], measure)
                if value is not None:
                    series(bench, HTTP, name).add(value)
                    if name == CONVEYOR:
                        series(bench, ONE_BY_ONE, CONVEYOR).add(value)
                if name == CONVEYOR and stack:
                    attempt(bench, [], lambda: _settle(stack))
            _libraries(bench)
        _note_ceiling(bench)
