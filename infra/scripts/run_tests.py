"""Run each test suite in its own pytest process and summarise: ``make test`` and CI use it.

Suites: shared/tests, every services/*/tests, every clients/*/tests, the dashboard's Vitest
suite (services/dashboard, through infra/scripts/dashboard.py, which also builds it for the
browser tests), then the top-level tests/. pytest's exit code 5 ("no tests collected")
passes only for a suite that has no test files yet.

    python infra/scripts/run_tests.py [--python PY] [SUITE_DIR ...] [-- PYTEST_ARGS]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "services" / "dashboard"
NO_TESTS_COLLECTED = 5
SUMMARY = re.compile(r"^=+ .* in [\d.]+s.* =+$|^\d+ (passed|failed|error).* in [\d.]+s")


def suites() -> list[Path]:
    """Return every test directory, in the order they run."""
    found = [ROOT / "shared" / "tests"]
    found += sorted(path.parent / "tests" for path in ROOT.glob("services/*/pyproject.toml"))
    found += sorted(path.parent / "tests" for path in ROOT.glob("clients/*/pyproject.toml"))
    found += [DASHBOARD, ROOT / "tests"]  # the browser tests need the dashboard built
    return [path for path in found if path.is_dir()]


def has_tests(directory: Path) -> bool:
    return any(directory.rglob("test_*.py")) or any(directory.rglob("*_test.py"))


def run(python: str, suite: Path, extra: list[str]) -> tuple[bool, str]:
    """Run one suite from its package directory; return (passed, pytest's summary line)."""
    name = str(suite.relative_to(ROOT))
    print(f"\n===== {name} =====", flush=True)
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", suite.name, *extra]
    if suite == DASHBOARD:  # Vitest, not pytest; its script prints a pytest-like summary
        command = [sys.executable, str(ROOT / "infra" / "scripts" / "dashboard.py"), "test"]
    process = subprocess.Popen(
        command, cwd=suite.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    summary = ""
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if SUMMARY.search(line.strip()):
            summary = line.strip().strip("= ")
    code = process.wait()
    if code == NO_TESTS_COLLECTED and not has_tests(suite):
        return True, "no tests yet"
    return code == 0, summary or f"pytest exited with {code}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter that has pytest")
    parser.add_argument("suite", nargs="*", type=Path, help="test directories (default: all)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, extra = parser.parse_known_args(argv[:split])
    extra += argv[split + 1 :]  # everything after "--" goes to pytest as it is
    chosen = [path.resolve() for path in args.suite] or suites()
    results = [(suite, *run(args.python, suite, extra)) for suite in chosen]
    print("\n===== summary =====")
    for suite, passed, summary in results:
        print(f"{'ok  ' if passed else 'FAIL'} {suite.relative_to(ROOT)}: {summary}")
    return 0 if all(passed for _, passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
