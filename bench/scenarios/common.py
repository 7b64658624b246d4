"""What every scenario does: record one repetition's value or why there is none."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..context import Bench
from ..exceptions import BenchError, Unavailable
from ..results import Series

logger = logging.getLogger("bench")

T = TypeVar("T")


def attempt(bench: Bench, series: Sequence[Series], measure: Callable[[], T]) -> T | None:
    """Run ``measure``; on failure mark every series in ``series`` and return None.

    A missing piece (:class:`Unavailable`) or a failed run (:class:`BenchError`) becomes the
    reason the rows print; anything else is a bug in the bench or the system under test,
    whose traceback goes to the log so the run still finishes.
    """
    if series and all(s.unavailable for s in series):
        return None
    try:
        return measure()
    except Unavailable as error:
        reason = error.reason
    except BenchError as error:
        reason = f"failed: {error}"
    except Exception as error:  # the report must still be written
        reason = f"error: {type(error).__name__}: {error}"
        log = bench.log("errors")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(traceback.format_exc() + "\n")
    print(f"[bench]   not available: {reason}", flush=True)
    for one in series:
        one.fail(reason)
    return None


def rotated(items: Sequence[T], by: int) -> list[T]:
    """``items`` turned by ``by`` places, so each repetition starts with another system."""
    if not items:
        return []
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)
