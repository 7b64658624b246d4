"""Run the real ``conveyor`` command against the real local stack.

One stack for the whole suite, started as ``make run`` starts it (tests/e2e/local_stack.py,
imported by path), with a tiny access-token lifetime so refreshes happen, and short event
streams so ``watch`` reconnects. The stack runs on the platform's interpreter
(``$CONVEYOR_STACK_PYTHON``, else the repository's ``.venv``), the client from the
environment running these tests: in CI's "alone" check, one that holds the client only.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from local_stack import LocalStack, http  # noqa: E402

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
"""The console script installed beside this interpreter."""

ACCESS_TOKEN_TTL = 2
"""Seconds an access token lives in the test stack: long enough for one command."""

STACK_SETTINGS = {
    "ACCESS_TOKEN_TTL": str(ACCESS_TOKEN_TTL),
    # Cheap password hashing: every test signs a user up and in.
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_COST": "8192",
    "ARGON2_PARALLELISM": "1",
    "EVENTS_MAX_STREAM_SECONDS": "2",  # streams end often: watch must resume
    "EVENTS_RETRY_MS": "200",
}

COMMAND_TIMEOUT = 60.0
"""Seconds any one command may take before the test fails (the jobs take 1-3 s)."""

PASSWORD = "correct horse battery"


def stack_python() -> str:
    configured = os.environ.get("CONVEYOR_STACK_PYTHON")
    if configured:
        return configured
    repository_venv = ROOT / ".venv" / "bin" / "python"
    return str(repository_venv) if repository_venv.exists() else sys.executable


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if shutil.which("nginx"):
        gateway = "nginx"
    elif os.environ.get("CI"):
        pytest.fail("nginx must be installed in CI: the client is tested through the gateway")
    else:
        gateway = "python"
    running = LocalStack(
        gateway, tmp_path_factory.mktemp("stack"), settings=STACK_SETTINGS, python=stack_python()
    )
    running.start()
    yield running
    leftovers = running.stop()
    assert not leftovers, f"processes outlived the stack's stop: {leftovers}"


@dataclass
class Cli:
    """``conveyor`` as one user on one machine: its own config directory."""

    url: str
    config_home: Path
    username: str = ""

    @property
    def token_file(self) -> Path:
        return self.config_home / "conveyor" / "credentials.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        env.update(XDG_CONFIG_HOME=str(self.config_home), CONVEYOR_URL=self.url, COLUMNS="100")
        env.update(extra)
        return env

    def run(
        self, *args: str, input: str | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CONVEYOR, *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            timeout=COMMAND_TIMEOUT,
        )

    @contextlib.contextmanager
    def start(self, *args: str, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
        """Run a command in the background (read it with :func:`read_until`); end it if the
        test ends before it does, printing where each of its threads was (a hang's stack)."""
        with subprocess.Popen(
            [CONVEYOR, *args],
            env=self.env(PYTHONFAULTHANDLER="1", **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        ) as process:
            try:
                yield process
            finally:
                if process.poll() is None:
                    _end_with_its_stacks(process)

    def submit(self, payload: str, *options: str, job_type: str = "timed") -> str:
        """Submit a job; return its id."""
        done = self.run("submit", job_type, "--payload", payload, "--quiet", *options)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def job(self, job_id: str) -> dict[str, Any]:
        done = self.run("show", job_id, "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))


def _end_with_its_stacks(process: subprocess.Popen[bytes]) -> None:
    """SIGABRT: faulthandler writes every thread's stack to stderr; print them (a failing
    test shows its output). Read while it ends: a long dump must not fill the pipe."""
    process.send_signal(signal.SIGABRT)
    try:
        _, stderr = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    print((stderr or b"").decode(errors="replace")[-6000:])


def read_until(stream: IO[bytes] | None, *wanted: str, timeout: float = 30.0) -> str:
    """Read a background command's stdout or stderr until each of ``wanted`` has shown;
    return what was read."""
    assert stream is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while not all(text.encode() in seen for text in wanted):
        left = deadline - time.monotonic()
        assert left > 0, f"not all of {wanted} in {timeout}s: {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            assert chunk, f"output ended before {wanted}: {seen.decode(errors='replace')!r}"
            seen += chunk
    return seen.decode(errors="replace")


def sign_up(stack: LocalStack) -> str:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    reply = http("POST", f"{stack.url}/api/users", body)
    assert reply.status == 201, reply.body
    return name


@pytest.fixture
def cli(stack: LocalStack, tmp_path: Path) -> Cli:
    """A new user, not signed in yet."""
    return Cli(stack.url, tmp_path / "config", sign_up(stack))


@pytest.fixture
def signed_in(cli: Cli) -> Cli:
    done = cli.run("login", "--username", cli.username, CONVEYOR_PASSWORD=PASSWORD)
    assert done.returncode == 0, done.stderr
    return cli
