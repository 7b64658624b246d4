"""Time arithmetic inside SQL, the same on SQLite and PostgreSQL.

A worker's claim computes the job's wait (now minus ``queued_at``) in the ``UPDATE`` itself,
so the claim is one statement with no read before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from conveyor_core.jobs.models import UTCDateTime


class _SecondsBetween(FunctionElement[float]):
    """``later - earlier`` in seconds (``NULL`` if either is)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(_SecondsBetween)
def _postgresql(element: _SecondsBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


@compiles(_SecondsBetween, "sqlite")
def _sqlite(element: _SecondsBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def seconds_since(column: Any, now: datetime | ColumnElement[Any]) -> ColumnElement[float]:
    """Seconds from ``column`` to ``now`` (a value or a bound parameter), never negative
    (0 when ``column`` is ``NULL``)."""
    later = now if isinstance(now, ColumnElement) else literal(now, UTCDateTime())
    elapsed = _SecondsBetween(later, column)
    return case((elapsed > 0, elapsed), else_=0.0)
