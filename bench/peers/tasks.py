"""The no-op job RQ workers run (imported by dotted path from ``rq worker``)."""

from __future__ import annotations


def noop() -> None:
    """Do nothing: the measurement is the queue's own cost."""
