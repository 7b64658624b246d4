"""Run each test suite in its own pytest process and summarise: ``make test`` and CI use it.

Suites: every shared/*/tests, every services/*/tests, every clients/*/tests, the dashboard's Vitest
suite (services/dashboard, through infra/scripts/dashboard.py, which also builds it for the
browser tests), then the top-level tests/. pytest's exit code 5 ("no tests collected")
passes only for a suite that has no test files yet.

``--jobs N`` runs up to N suites at once (``make test`` and CI use 2). Most of a suite's
time is spent waiting on the processes it starts (workers, Redis, gateways, a browser), so
two suites side by side nearly halve the wall time on two cores. Each suite's output is then
printed whole when it ends. The longest suites start first; the dashboard's build always
comes before the top-level suite that drives it in a browser.

    python infra/scripts/run_tests.py [--jobs N] [--python PY] [SUITE_DIR ...] [-- PYTEST_ARGS]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "services" / "dashboard"
TOP_LEVEL = ROOT / "tests"
NO_TESTS_COLLECTED = 5
SUMMARY = re.compile(r"^=+ .* in [\d.]+s.* =+$|^\d+ (passed|failed|error).* in [\d.]+s")
LONGEST_FIRST = ("tests", "services/worker/tests", "services/job_api/tests")
"""Suites that take minutes (in this order); the others take about one or less."""


@dataclass(frozen=True)
class Outcome:
    suite: Path
    passed: bool
    summary: str
    seconds: float


def suites() -> list[Path]:
    """Return every test directory, in the order they run one at a time."""
    found = sorted(path.parent / "tests" for path in ROOT.glob("shared/*/pyproject.toml"))
    found += sorted(path.parent / "tests" for path in ROOT.glob("services/*/pyproject.toml"))
    found += sorted(path.parent / "tests" for path in ROOT.glob("clients/*/pyproject.toml"))
    found += [DASHBOARD, TOP_LEVEL]  # the browser tests need the dashboard built
    return [path for path in found if path.is_dir()]


def lanes(chosen: list[Path]) -> list[list[Path]]:
    """Group suites into chains that may run side by side, longest first: the dashboard's
    build and the top-level suite form one chain, in that order."""
    chains = [[suite] for suite in chosen if suite not in (DASHBOARD, TOP_LEVEL)]
    tail = [suite for suite in (DASHBOARD, TOP_LEVEL) if suite in chosen]
    if tail:
        chains.append(tail)

    def rank(chain: list[Path]) -> int:
        name = str(chain[-1].relative_to(ROOT))
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    return sorted(chains, key=rank)


def has_tests(directory: Path) -> bool:
    return any(directory.rglob("test_*.py")) or any(directory.rglob("*_test.py"))


def run(python: str, suite: Path, extra: list[str], stream: bool) -> Outcome:
    """Run one suite from its package directory; print its output live (``stream``) or
    whole at its end."""
    name = str(suite.relative_to(ROOT))
    started = time.monotonic()
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", suite.name, *extra]
    if suite == DASHBOARD:  # Vitest, not pytest; its script prints a pytest-like summary
        command = [sys.executable, str(ROOT / "infra" / "scripts" / "dashboard.py"), "test"]
    if stream:
        print(f"\n===== {name} =====", flush=True)
    else:
        print(f"----- {name}: started", flush=True)
    process = subprocess.Popen(
        command, cwd=suite.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    summary, lines = "", []
    assert process.stdout is not None
    for line in process.stdout:
        if stream:
            sys.stdout.write(line)
            sys.stdout.flush()
        else:
            lines.append(line)
        if SUMMARY.search(line.strip()):
            summary = line.strip().strip("= ")
    code = process.wait()
    seconds = time.monotonic() - started
    if not stream:
        with OUTPUT:
            print(f"\n===== {name} ({seconds:.0f} s) =====\n{''.join(lines)}", end="", flush=True)
    if code == NO_TESTS_COLLECTED and not has_tests(suite):
        return Outcome(suite, True, "no tests yet", seconds)
    return Outcome(suite, code == 0, summary or f"pytest exited with {code}", seconds)


OUTPUT = threading.Lock()
"""One suite's output at a time when suites run side by side."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter that has pytest")
    parser.add_argument("--jobs", type=int, default=1, help="suites run at once (default 1)")
    parser.add_argument("suite", nargs="*", type=Path, help="test directories (default: all)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, extra = parser.parse_known_args(argv[:split])
    extra += argv[split + 1 :]  # everything after "--" goes to pytest as it is
    chosen = [path.resolve() for path in args.suite] or suites()
    started = time.monotonic()
    stream = args.jobs <= 1
    if stream:
        results = [run(args.python, suite, extra, stream) for suite in chosen]
    else:

        def run_chain(chain: list[Path]) -> list[Outcome]:
            return [run(args.python, suite, extra, stream) for suite in chain]

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            done = list(pool.map(run_chain, lanes(chosen)))
        by_suite = {outcome.suite: outcome for chain in done for outcome in chain}
        results = [by_suite[suite] for suite in chosen]
    print(f"\n===== summary ({time.monotonic() - started:.0f} s) =====")
    for outcome in results:
        mark = "ok  " if outcome.passed else "FAIL"
        where = outcome.suite.relative_to(ROOT)
        print(f"{mark} {where}: {outcome.summary} [{outcome.seconds:.0f} s]")
    return 0 if all(outcome.passed for outcome in results) else 1


if __name__ == "__main__":
    sys.exit(main())
