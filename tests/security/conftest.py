"""The security suite's fixtures live in :mod:`world`; registered here for pytest. Under
``make soak`` each file's outcomes go into the soak report too."""

import pytest
from soak import report as soak_report

from .world import apps, database_urls, world

__all__ = ["apps", "database_urls", "world"]


@pytest.hookimpl
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each security test's outcome under its file: its call's, or a setup's or
    teardown's that failed or skipped (pytest calls this conftest's hook for the security
    suite's tests only)."""
    if report.when == "call" or not report.passed:
        record_outcome(report.nodeid.split("::")[0], report.outcome)


def record_outcome(path: str, outcome: str) -> None:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    figures = soak_report.FIGURES.setdefault(f"Security, {path}", counts)
    figures[outcome] += 1
