"""user-service and job-api as real gunicorn servers on free ports, for the graph's tests.

They run as ``make run`` runs them (the same gunicorn settings), on their own databases and
the session's private Redis. The graph API itself runs in the test process (a Flask test
client), with an HTTP transport that counts every call it makes to them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from conveyor_shared.redis_server import free_port
from conveyor_shared.testing import postgres_database

START_TIMEOUT = 60.0
BIN = Path(sys.executable).parent


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


@contextmanager
def server(package: str, command: list[str], env: dict[str, str], var: Path) -> Iterator[str]:
    """Migrate ``package``'s database, serve it with ``command``; yield its URL."""
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
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    """Run both services; yield their URLs."""
    with ExitStack() as stack:
        users_db, jobs_db = stack.enter_context(databases(backend, server_url, tmp))
        users_env = environment(users_db, redis_url, keys, tmp)
        jobs_env = environment(jobs_db, redis_url, keys, tmp)
        users = stack.enter_context(server("user_service", USER_SERVICE, users_env, tmp))
        jobs = stack.enter_context(server("job_api", JOB_API, jobs_env, tmp))
        yield {"USER_SERVICE_URL": users, "JOB_API_URL": jobs, "users_env": users_env}
