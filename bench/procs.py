"""Child processes: each in its own process group, every one stopped when the bench ends."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .config import ROOT

STOP_TIMEOUT = 10.0
"""Seconds a process group gets after SIGTERM before SIGKILL."""

_live: list[Proc] = []


class Proc:
    """One started command whose whole process group the bench owns."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopping it stops its children too
            )
        _live.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (ignored once it is gone: once reaped, its pid
        may lead another process's group)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the group, wait up to ``timeout``, then SIGKILL what is left."""
        if self.alive():
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.signal(signal.SIGKILL)  # children that outlived their parent, if any
        if self.alive():
            self.process.wait(timeout=timeout)
        if self in _live:
            _live.remove(self)

    def tail(self, lines: int = 15) -> str:
        """Return the end of the process's output, for error messages."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def stop_all(procs: Sequence[Proc] | None = None) -> None:
    """Stop ``procs`` (default: every process still running), newest first."""
    for proc in reversed(list(_live if procs is None else procs)):
        proc.stop()


atexit.register(stop_all)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass; return whether it is."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
