"""The restart bound on top of supervisord: a program that keeps crashing after healthy
starts is stopped, loudly, and its neighbours keep running (a real supervisord)."""

from __future__ import annotations

import subprocess
import sys
import time
import xmlrpc.client
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import restart_limit
from conftest import SCRIPTS
from supervisor.xmlrpc import SupervisorTransport


def test_the_eleventh_crash_within_a_minute_is_too_many() -> None:
    exits: deque[float] = deque()
    verdicts = [restart_limit.crashed_too_often(exits, 100.0 + n) for n in range(11)]
    assert verdicts == [False] * 10 + [True]


def test_crashes_older_than_a_minute_are_forgotten() -> None:
    exits: deque[float] = deque([0.0] * 10)
    assert not restart_limit.crashed_too_often(exits, restart_limit.WINDOW + 1)
    assert list(exits) == [restart_limit.WINDOW + 1]


@pytest.fixture
def supervisord(tmp_path: Path) -> Iterator[Any]:
    socket = tmp_path / "supervisor.sock"
    config = tmp_path / "supervisord.conf"
    config.write_text(f"""
[supervisord]
nodaemon = true
logfile = {tmp_path / "supervisord.log"}
pidfile = {tmp_path / "supervisord.pid"}
[unix_http_server]
file = {socket}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[eventlistener:restart-limit]
command = {sys.executable} {SCRIPTS / "restart_limit.py"}
events = PROCESS_STATE_EXITED
stderr_logfile = {tmp_path / "listener.log"}
[program:crasher]
command = {sys.executable} -c "import sys; sys.exit(3)"
startsecs = 0
autorestart = true
[program:neighbour]
command = {sys.executable} -c "import time; time.sleep(600)"
""")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "supervisord"), "-c", str(config)]
    )

    def server() -> Any:
        transport = SupervisorTransport(None, None, f"unix://{socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    yield server, tmp_path
    process.terminate()
    process.wait(timeout=30)


def _state(server: Any, name: str) -> str:
    try:
        with server() as proxy:
            return str(proxy.supervisor.getProcessInfo(name)["statename"])
    except OSError:
        return "UNREACHABLE"


def test_a_program_crashing_after_healthy_starts_is_stopped_and_said_so(
    supervisord: tuple[Any, Path],
) -> None:
    server, folder = supervisord
    deadline = time.monotonic() + 60
    while _state(server, "crasher") != "STOPPED":
        assert time.monotonic() < deadline, "the crasher was never stopped"
        time.sleep(0.2)
    assert _state(server, "neighbour") == "RUNNING"
    assert "crasher crashed more than 10 times" in (folder / "listener.log").read_text()
