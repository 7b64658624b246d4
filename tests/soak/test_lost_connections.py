"""Lost connections: every connection from user-service, job-api and the workers to Redis
(and to PostgreSQL, on that backend) goes through a fault proxy that adds latency, drops
every connection, then blackholes each dependency in turn. Clients keep submitting (with
idempotency keys) and reading all along. Pass: every answer is a success or a 503 with
``Retry-After``, none takes longer than the services' timeouts allow, the services recover by
themselves, and every acknowledged submission is one job that completes."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import service_apps
from sqlalchemy import func, select
from sqlalchemy.engine import URL, Engine, make_url

from conveyor_core.jobs.db import make_engine
from conveyor_core.jobs.models import Job
from conveyor_testing import wait_for
from conveyor_testing.api import serve
from conveyor_testing.workers import WorkerFleet

from . import report, sizes
from .fault_proxy import FaultProxy

PASSWORD = "correct horse battery"
TIMED = {"type": "timed", "payload": {"duration_seconds": 0.01}}
RETRY_PAUSE = 0.2
"""Seconds a client waits before it sends a refused request again (its own pacing)."""
OUTAGE_FELT = 1.0
"""Seconds an answer takes, at least, when its request waited on a blackholed dependency
(a request that meets none takes milliseconds)."""


@dataclass
class Stack:
    users: str
    jobs: str
    jobs_database: str
    redis: FaultProxy
    postgres: FaultProxy | None
    fleet: WorkerFleet


@dataclass
class Traffic:
    """What the clients saw: ``(phase, status)`` counts, every answer's span, the slowest."""

    phase: str = "calm"
    seen: Counter[tuple[str, int]] = field(default_factory=Counter)
    answers: list[tuple[float, float, int]] = field(default_factory=list)
    """``(sent, answered, status)`` of every request (monotonic seconds; status 0: none)."""
    outages: dict[str, tuple[float, float]] = field(default_factory=dict)
    """When each dependency was blackholed and healed (monotonic seconds)."""
    slowest: float = 0.0
    slowest_what: str = ""
    """The slowest request and the phase it was sent in (where to look when it is too slow)."""
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)
    last_success: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, phase: str, response: requests.Response | None, sent: float, what: str) -> None:
        """Count an answer under the phase its request was sent in."""
        answered = time.monotonic()
        with self.lock:
            if answered - sent > self.slowest:
                self.slowest, self.slowest_what = answered - sent, f"{what} ({phase})"
            status = response.status_code if response is not None else 0
            self.seen[(phase, status)] += 1
            self.answers.append((sent, answered, status))
            if response is None:
                self.failures.append(f"{what} ({phase}): no answer within {sizes.HANG_BOUND} s")
            elif status >= 500 and (status != 503 or "Retry-After" not in response.headers):
                self.failures.append(f"{what} ({phase}): {status} {response.text[:200]}")
            elif status < 400:
                self.last_success = time.monotonic()


def _through(proxy: FaultProxy, url: URL) -> str:
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture
def stack(
    database_url: str, redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[Stack]:
    server = make_url(database_url)
    with contextlib.ExitStack() as opened:
        databases = opened.enter_context(service_apps.database_pair(database_url, tmp_path))
        redis_proxy = opened.enter_context(FaultProxy("127.0.0.1", urlsplit(redis_url).port or 0))
        postgres = None
        if server.get_backend_name() == "postgresql":
            postgres = opened.enter_context(FaultProxy(server.host or "", server.port or 5432))
            databases = (_through(postgres, make_url(databases[0])),
                         _through(postgres, make_url(databases[1])))  # fmt: skip
        proxied_redis = f"redis://127.0.0.1:{redis_proxy.port}/0"
        with service_apps.running(databases, proxied_redis, jwt_keys, tmp_path) as apps:
            for app in apps:
                app.config["TESTING"] = False  # errors reach the handlers, as in production
            env = {"DATABASE_URL": databases[1], "REDIS_URL": proxied_redis,
                   "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
                   "VAR_DIR": str(tmp_path / "var"), "LOG_DIR": ""}  # fmt: skip
            fleet = WorkerFleet(env, tmp_path / "worker-logs")
            try:
                with serve(apps[0]) as users, serve(apps[1]) as jobs:
                    yield Stack(users, jobs, databases[1], redis_proxy, postgres, fleet)
            finally:
                fleet.stop()


def _token(users: str) -> str:
    body = {"username": "client", "email": "client@example.com", "password": PASSWORD}
    assert requests.post(f"{users}/api/users", json=body, timeout=30).status_code == 201
    login = requests.post(f"{users}/api/auth/login", timeout=30,
                          json={"username": "client", "password": PASSWORD})  # fmt: skip
    return str(login.json()["access_token"])


def _call(traffic: Traffic, http: requests.Session, method: str, url: str,
          **kwargs: object) -> requests.Response | None:  # fmt: skip
    began, phase = time.monotonic(), traffic.phase
    try:
        response = http.request(method, url, timeout=sizes.HANG_BOUND, **kwargs)  # type: ignore[arg-type]
    except (requests.ConnectionError, requests.Timeout):
        response = None
    traffic.note(phase, response, began, f"{method} {url}")
    return response


def _client(stack: Stack, token: str, name: str, traffic: Traffic, stop: threading.Event) -> None:
    """Submit, read the job back, read the profile; a submission is sent again (same key)
    until it is acknowledged, even after ``stop``."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    number = 0
    while not stop.is_set():
        key = f"{name}-{number}"
        number += 1
        while True:
            response = _call(traffic, http, "POST", f"{stack.jobs}/api/jobs", json=TIMED,
                             headers={"Idempotency-Key": key})  # fmt: skip
            if response is not None and response.status_code in (200, 201):
                traffic.acknowledged[key] = response.json()["id"]
                break
            time.sleep(RETRY_PAUSE)
        _call(traffic, http, "GET", f"{stack.jobs}/api/jobs/{traffic.acknowledged[key]}")
        _call(traffic, http, "GET", f"{stack.users}/api/users/me")


def _outage(
    traffic: Traffic, proxy: FaultProxy, name: str, seconds: float, cut: bool = False
) -> float:
    """Blackhole ``proxy`` for ``seconds`` (Redis: open connections stall; PostgreSQL, with
    ``cut``: they are reset, as its connections through a partition end in a real network
    by the kernel's ``tcp_user_timeout``, which a loopback proxy cannot show); return how
    long the clients took to get a success once it healed."""
    traffic.phase = f"{name} blackholed"
    began = time.monotonic()
    proxy.blackhole(cut=cut)
    time.sleep(seconds)  # the outage itself is the condition under test: it lasts this long
    proxy.heal()
    healed = time.monotonic()
    traffic.outages[name] = (began, healed)
    traffic.phase = f"after {name} healed"
    wait_for(lambda: traffic.last_success > healed, timeout=60, interval=0.1,
             what=f"a success after {name} healed")  # fmt: skip
    return round(traffic.last_success - healed, 2)


def _unfinished(engine: Engine) -> list[tuple[str, str, str | None, int]]:
    """The jobs not completed: id, status, run id, attempts (to say where one is stuck)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Job.id, Job.status, Job.run_id, Job.attempts)
            .where(Job.status != "completed").limit(20)
        )  # fmt: skip
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_apis_ride_through_lost_connections_and_lose_no_job(stack: Stack, backend: str) -> None:
    size = sizes.partition()
    began = time.monotonic()
    proxies = [proxy for proxy in (stack.redis, stack.postgres) if proxy is not None]
    token = _token(stack.users)
    stack.fleet.start(2)
    traffic, stop = Traffic(), threading.Event()
    clients = [threading.Thread(target=_client, args=(stack, token, f"c{n}", traffic, stop))
               for n in range(size.clients)]  # fmt: skip
    for client in clients:
        client.start()
    recovery: dict[str, float] = {}
    """Seconds: to a success once each dependency healed; to every job done after that."""
    try:
        traffic.phase = "latency"
        for proxy in proxies:
            proxy.add_latency(size.latency)
        time.sleep(size.phase_seconds)  # traffic flows through the slowed proxies meanwhile
        for proxy in proxies:
            proxy.add_latency(0)
        traffic.phase = "connections dropped"
        for _ in range(int(size.phase_seconds)):
            for proxy in proxies:
                proxy.drop()
            time.sleep(1)  # one drop a second while the clients go on
        outage = size.blackhole_seconds
        recovery["success_after_redis_healed"] = _outage(traffic, stack.redis, "Redis", outage)
        if stack.postgres is not None:
            recovery["success_after_postgresql_healed"] = _outage(
                traffic, stack.postgres, "PostgreSQL", outage, cut=True
            )
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=size.deadline)
    engine = make_engine(stack.jobs_database)

    def statuses() -> Counter[str]:
        with engine.connect() as connection:
            rows = connection.execute(select(Job.status, func.count()).group_by(Job.status))
            return Counter({status: count for status, count in rows})

    acknowledged = set(traffic.acknowledged.values())
    settled = time.monotonic()
    try:
        wait_for(lambda: statuses()["completed"] >= len(acknowledged),
                 timeout=max(1.0, began + size.deadline - time.monotonic()), interval=0.5,
                 what="every acknowledged job to complete")  # fmt: skip
    except AssertionError as error:
        unfinished = _unfinished(engine)
        raise AssertionError(f"{error}: {statuses()}, unfinished {unfinished}\n"
                             f"{stack.fleet.logs()[-6000:]}") from None  # fmt: skip
    finally:
        final = statuses()
        engine.dispose()
    recovery["all_jobs_completed"] = round(time.monotonic() - settled, 1)
    report.record(
        f"Lost connections ({backend})",
        blackhole_seconds=size.blackhole_seconds, latency_seconds=size.latency,
        drops=int(size.phase_seconds), requests=sum(traffic.seen.values()),
        answers_503=sum(n for (_, status), n in traffic.seen.items() if status == 503),
        answers_409=sum(n for (_, status), n in traffic.seen.items() if status == 409),
        slowest_answer_seconds=round(traffic.slowest, 2), slowest_request=traffic.slowest_what,
        **{f"seconds_to_{name}": s for name, s in recovery.items()},
        connections_through_proxies=sum(proxy.connections for proxy in proxies),
        jobs_acknowledged=len(acknowledged), jobs_completed=final["completed"],
        seconds=round(time.monotonic() - began, 1),
    )  # fmt: skip
    assert traffic.failures == [], traffic.failures[:10]
    for name in ("Redis", "PostgreSQL")[: len(proxies)]:
        # The outage reached the clients: a request in flight during it was refused, or
        # waited it out (a submission is accepted with Redis gone: its row is committed and
        # the sweep enqueues it).
        start, end = traffic.outages[name]
        felt = [(round(answered - sent, 2), status) for sent, answered, status in traffic.answers
                if sent < end and answered > start
                and (status == 503 or answered - sent >= OUTAGE_FELT)]  # fmt: skip
        assert felt, (name, dict(traffic.seen))
    assert len(acknowledged) == len(traffic.acknowledged)  # one job per key
    assert final == {"completed": len(acknowledged)}, stack.fleet.logs()[-3000:]
