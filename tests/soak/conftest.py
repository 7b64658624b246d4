"""The soak suite's fixtures live in :mod:`stack`; registered here for pytest."""

from collections.abc import Iterator

import pytest

from conveyor_testing.job_records import engine, sessions

from . import report
from .stack import backend, fleet, mail_dir, notifier, settings, submit_many

__all__ = [
    "backend",
    "engine",
    "fleet",
    "mail_dir",
    "notifier",
    "sessions",
    "settings",
    "submit_many",
]


@pytest.fixture(scope="session", autouse=True)
def soak_report() -> Iterator[None]:
    """Write the figures every scenario recorded once the session ends."""
    yield
    report.write()
