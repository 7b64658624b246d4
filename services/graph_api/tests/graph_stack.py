"""user-service and job-api as real gunicorn servers on free ports, for the graph's tests.

They run as ``make run`` runs them (the same gunicorn settings), on their own databases and
the session's private Redis. The graph API itself runs in the test process (a Flask test
client), with an HTTP transport that counts every call it makes to them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from conveyor_testing import postgres_database
from conveyor_testing.redis_server import free_port

START_TIMEOUT = 60.0
BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "correct horse battery"


class CountingTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, remembering the method and path of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        return await super().handle_async_request(request)


def environment(
    database_url: str, redis_url: str, keys: tuple[str, str], var: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        JWT_PRIVATE_KEY=keys[0],
        JWT_PUBLIC_KEY=keys[1],
        VAR_DIR=str(var),
        LOG_DIR="",
        LOG_LEVEL="WARNING",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="8",
        ARGON2_PARALLELISM="1",
        WEB_CONCURRENCY="1",
        ACCESS_TOKEN_TTL="3600",  # the session's admin keeps one token for the whole suite
    )
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {START_TIMEOUT:.0f}s:\n{log.read_text()}")


def _launch(
    package: str, command: list[str], env: dict[str, str], var: Path
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Migrate ``package``'s database and start serving it with ``command`` (not waiting
    for it to answer); return the server, its URL and its log."""
    subprocess.run(
        [str(BIN / "flask"), "--app", package, "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = var / f"{package}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}", log


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT is gunicorn's quick shutdown: nothing is in flight once the tests are done.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def create_admin(env: dict[str, str]) -> str:
    """A new admin, made with user-service's own command; return its username."""
    name = f"root{uuid.uuid4().hex[:8]}"
    command = ["create-admin", name, f"{name}@example.com", ADMIN_PASSWORD]
    subprocess.run(
        [str(BIN / "flask"), "--app", "user_service", *command],
        env=env,
        check=True,
        capture_output=True,
    )
    return name


USER_SERVICE = [
    "--workers",
    "1",
    "--worker-class",
    "gthread",
    "--threads",
    "8",
    "--no-control-socket",
    "user_service:create_app()",
]
JOB_API = ["-c", "python:job_api.gunicorn_conf", "--workers", "1", "job_api:create_app()"]


@contextmanager
def databases(backend: str, server_url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases (users, jobs) on ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'users.db'}", f"sqlite:///{tmp / 'jobs.db'}"
        return
    assert server_url
    with postgres_database(server_url) as users, postgres_database(server_url) as jobs:
        yield users, jobs


@contextmanager
def services(
    backend: str, server_url: str | None, redis_url: str, keys: tuple[str, str], tmp: Path
) -> Iterator[dict[str, Any]]:
    """Run both services and make one admin; yield their URLs and the admin's username.

    The two services migrate and boot side by side, and the admin is made meanwhile: each
    step is mostly a Python process importing its packages."""
    with ExitStack() as stack:
        users_db, jobs_db = stack.enter_context(databases(backend, server_url, tmp))
        users_env = environment(users_db, redis_url, keys, tmp)
        jobs_env = environment(jobs_db, redis_url, keys, tmp)
        plans = (("user_service", USER_SERVICE, users_env), ("job_api", JOB_API, jobs_env))
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            launches = [pool.submit(_launch, *plan, tmp) for plan in plans]
            wait(launches)
        for launch in launches:  # every server that started is stopped, whatever failed
            if launch.exception() is None:
                stack.callback(_stop, launch.result()[0])
        (users, users_url, users_log), (jobs, jobs_url, jobs_log) = (
            launch.result() for launch in launches
        )
        admin = create_admin(users_env)
        _wait_ready(users_url, users, users_log)
        _wait_ready(jobs_url, jobs, jobs_log)
        yield {"USER_SERVICE_URL": users_url, "JOB_API_URL": jobs_url, "admin": admin}
