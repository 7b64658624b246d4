"""The machine a run measured: cores, load and the versions of what was compared."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


def load() -> tuple[float, float, float]:
    """Return the 1, 5 and 15 minute load averages."""
    return os.getloadavg()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version_of(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout + done.stderr).strip()
    found = re.search(r"\d+\.\d+(\.\d+)?", text)
    return found.group(0) if found else text[:40] or None


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def code() -> str:
    """The Conveyor code measured: commit, uncommitted changes, and where it was imported from."""
    from .config import ROOT

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "services", "shared"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        head, dirty = "", ""
    text = f"commit {head or 'unknown'}" + (" + uncommitted changes" if dirty else "")
    try:
        import conveyor_core
    except ImportError:
        return text
    where = Path(conveyor_core.__file__).resolve()
    if not where.is_relative_to(ROOT):
        # PYTHONPATH put another copy first (e.g. a clean export of one commit).
        text += f"; services imported from {where.parents[4]}"
    return text


def describe() -> dict[str, Any]:
    """Return what the report prints about the machine and software."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "load_at_start": load(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "code": code(),
        "versions": {
            "redis-server": _version_of(["redis-server", "--version"]),
            "nginx": _version_of(["nginx", "-v"]),
            "node": _version_of(["node", "--version"]),
            "wrk": _version_of(["wrk", "--version"]),
            "rq": _package("rq"),
            "celery": _package("celery"),
            "redis-py": _package("redis"),
            "gunicorn": _package("gunicorn"),
            "flask": _package("flask"),
        },
    }
