"""Exponential backoff with jitter for automatic retries."""

from __future__ import annotations

import random


def retry_delay(retry: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first).

    The ceiling doubles per retry up to ``cap``; the delay is drawn from its upper half
    ("equal jitter"), so retries of many jobs that failed together spread out while each
    job still backs off.
    """
    ceiling = min(cap, base * 2 ** max(retry - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
