"""Peer software the bench installs for itself when it is missing: Celery, wrk, Node peers.

Each ``ensure_*`` returns ``None`` when the tool is ready, else the reason it is not, which
becomes a "not available" row instead of a crash.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .config import ROOT

BULLMQ_DIR = Path(__file__).resolve().parent / "peers" / "bullmq"
"""The BullMQ peer's Node package (``package.json`` and ``bench.mjs``)."""

EXPRESS_DIR = Path(__file__).resolve().parent / "peers" / "express"
"""The original brief's submit stack: Express + BullMQ + PostgreSQL (``server.mjs``)."""

INSTALL_TIMEOUT = 600.0
"""Longest one install command may take."""


def _run(argv: list[str], cwd: Path = ROOT) -> str | None:
    """Run an install command; return None on success, else the end of its output."""
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{argv[0]}: {error}"
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"`{' '.join(argv[:4])}` exited {done.returncode}: {' '.join(tail)}"
    return None


REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
"""The bench's own Python packages (``make bench`` installs them before it runs)."""


def ensure_celery() -> str | None:
    """Install ``requirements.txt`` if Celery is missing, changing no package installed."""
    if importlib.util.find_spec("celery") is not None:
        return None
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        return "celery is not installed and there is no uv in the venv to install it"
    print("[bench] installing bench/requirements.txt into the venv", flush=True)
    # Pin everything already installed: the venv is shared with the services' test suites.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pins:
        freeze = subprocess.run(
            [str(uv), "pip", "freeze", "--python", sys.executable, "--exclude-editable"],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False,
        )  # fmt: skip
        pins.write(freeze.stdout)
    try:
        error = _run(
            [str(uv), "pip", "install", "--python", sys.executable, "-c", pins.name,
             "-r", str(REQUIREMENTS)]
        )  # fmt: skip
    finally:
        os.unlink(pins.name)
    importlib.invalidate_caches()
    if error:
        return f"could not install celery: {error}"
    return None if importlib.util.find_spec("celery") else "celery still not importable"


def ensure_wrk() -> tuple[str | None, str]:
    """Return ``(path of wrk or None, how the HTTP load is generated)``."""
    found = shutil.which("wrk")
    if found:
        return found, "wrk"
    if os.geteuid() != 0:
        return None, "wrk missing and not root (cannot apt-get install it)"
    if shutil.which("apt-get") is None:
        return None, "wrk missing and no apt-get"
    print("[bench] installing wrk with apt-get", flush=True)
    env_prefix = ["env", "DEBIAN_FRONTEND=noninteractive"]
    error = _run([*env_prefix, "apt-get", "install", "-y", "wrk"])
    if error and _run([*env_prefix, "apt-get", "update"]) is None:
        error = _run([*env_prefix, "apt-get", "install", "-y", "wrk"])
    found = shutil.which("wrk")
    if found:
        return found, "wrk (installed by the bench with apt-get)"
    return None, f"apt-get install wrk failed: {error}"


def ensure_node_package(directory: Path) -> str | None:
    """``npm ci`` a peer's Node package unless its node_modules is already installed.

    ``npm ci`` installs exactly the committed lock file and never rewrites it, so a bench
    run leaves the work tree clean.
    """
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node or npm is not on PATH"
    if (directory / "node_modules" / ".package-lock.json").exists():
        return None
    print(f"[bench] npm ci in {directory.relative_to(ROOT)}", flush=True)
    error = _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], directory)
    if error:
        return f"npm ci failed: {error}"
    return None


def ensure_bullmq() -> str | None:
    """Install the BullMQ peer's Node package."""
    return ensure_node_package(BULLMQ_DIR)


def ensure_express() -> str | None:
    """Install the Express + BullMQ + PostgreSQL peer's Node package."""
    return ensure_node_package(EXPRESS_DIR)
