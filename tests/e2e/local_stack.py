"""Start and stop the local stack exactly as ``make run`` does, on free ports.

Every process of one run carries ``CONVEYOR_STACK_ID`` in its environment, so teardown can
find whatever outlived a graceful stop (supervisord starts its programs in their own
process groups) and kill it.

Standard library only at import: a client's tests (clients/*/tests) import this module from a
virtual environment that holds that client alone, and start the stack with the interpreter
of one that holds the platform (``python``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "infra" / "scripts" / "run_local.py"

START_TIMEOUT = 120.0
"""Seconds for the whole stack to answer (slow, shared CI machines)."""

STOP_TIMEOUT = 70.0
"""Seconds for a graceful stop (supervisord stops the gateway first, Redis last)."""


def poll(check: Callable[[], Any], seconds: float, interval: float = 0.25, what: str = "") -> Any:
    """Return ``check()``'s first truthy value within ``seconds``, else fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds}s waiting for {what or check}")


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now (this module is the
    CLI suite's too, which installs no conveyor package)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """Send one request; HTTP errors are replies too."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers.items()), error.read())


def stack_processes(stack_id: str) -> list[int]:
    """Return the pids whose environment carries this run's marker."""
    marker = f"CONVEYOR_STACK_ID={stack_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass
class LocalStack:
    """One run of infra/scripts/run_local.py with its own ports and VAR_DIR."""

    gateway: str
    var_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    stack_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen[bytes] | None = None
    settings: dict[str, str] = field(default_factory=dict)
    """More settings for this run (they win over the defaults below)."""
    python: str = field(default_factory=lambda: sys.executable)
    """Interpreter of the virtual environment that holds the platform's packages."""

    def __post_init__(self) -> None:
        names = ("PORT", "USER_SERVICE_PORT", "JOB_API_PORT", "RQ_DASHBOARD_PORT", "SMTP_PORT",
                 "AUTOSCALER_METRICS_PORT", "GRAPH_API_PORT")  # fmt: skip
        self.ports = {name: free_port() for name in (*names, "REDIS_PORT")}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['PORT']}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def log_file(self) -> Path:
        return self.var_dir / "stack.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update({name: str(port) for name, port in self.ports.items()})
        env.update(
            VAR_DIR=str(self.var_dir),
            GATEWAY=self.gateway,
            JOB_CONCURRENCY="1",
            LOG_LEVEL="WARNING",
            CONVEYOR_STACK_ID=self.stack_id,
            # An idle event stream shows a keep-alive comment within a second, not fifteen.
            EVENTS_HEARTBEAT_SECONDS="1",
        )
        env.update(self.settings)
        return env

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['REDIS_PORT']}/0"

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def start(self) -> LocalStack:
        """Launch the stack and wait until the gateway routes to user-service and job-api."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [self.python, str(LAUNCHER)],
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"launcher exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if self._ready():
                return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"stack not ready in {START_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def control(self) -> Any:
        """supervisord's XML-RPC interface for this run (a fresh connection each call)."""
        from supervisor.xmlrpc import SupervisorTransport  # the platform's venv only

        path = self.var_dir / "run" / "supervisor.sock"
        transport = SupervisorTransport(None, None, f"unix://{path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def programs(self) -> dict[str, dict[str, Any]]:
        """supervisord's view of every program: name → state, pid, ..."""
        with self.control() as server:
            return {info["name"]: info for info in server.supervisor.getAllProcessInfo()}

    def _ready(self) -> bool:
        # The Python gateway serves the apps in its own process, so answers through it do not
        # prove the services' own servers listen: ask those directly too.
        urls = [f"{self.url}/healthz", f"{self.url}/docs/users/openapi.json",
                f"{self.url}/docs/jobs/openapi.json",
                f"{self.service_url('USER_SERVICE_PORT')}/healthz",
                f"{self.service_url('JOB_API_PORT')}/healthz"]  # fmt: skip
        try:
            return all(http("GET", url, timeout=2).status == 200 for url in urls)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> list[int]:
        """Stop gracefully; kill and return the pids of anything that outlived it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        deadline = time.monotonic() + 10
        leftovers = stack_processes(self.stack_id)
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.2)
            leftovers = stack_processes(self.stack_id)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return leftovers


def signup(stack: LocalStack, password: str = "correct horse") -> dict[str, Any]:
    """Sign a new user up through the gateway: ``username``, ``password`` and the ``user``."""
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    reply = http(
        "POST",
        f"{stack.url}/api/users",
        {"username": name, "email": f"{name}@example.com", "password": password},
    )
    assert reply.status == 201, reply.body
    return {"username": name, "password": password, "user": reply.json()}


def login(stack: LocalStack, username: str, password: str) -> Reply:
    body = {"username": username, "password": password}
    return http("POST", f"{stack.url}/api/auth/login", body)
