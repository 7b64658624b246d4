"""``timed``: work for ``duration_seconds``, reporting progress; fail the first
``fail_attempts`` attempts (to exercise retries)."""

from __future__ import annotations

import time

from ..context import JobContext, Outcome
from ..exceptions import JobFailure

STEP = 0.25
"""Longest sleep between progress checks, in seconds."""


def handle(context: JobContext) -> Outcome:
    duration = float(context.payload["duration_seconds"])
    fail_attempts = int(context.payload.get("fail_attempts", 0))
    if context.attempt <= fail_attempts:
        raise JobFailure(
            f"failing attempt {context.attempt} of the first {fail_attempts} on purpose"
        )
    start = time.monotonic()
    end = start + duration
    while (now := time.monotonic()) < end:
        time.sleep(min(STEP, end - now))
        done = time.monotonic() - start
        context.progress(min(done / duration * 100, 100.0), f"{done:.1f}s of {duration:g}s")
    return Outcome({"elapsed_seconds": round(time.monotonic() - start, 3)})
