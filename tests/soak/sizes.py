"""How big each soak scenario runs: ``SOAK_SCALE=small`` (``make test``) or ``full``
(``make soak``). Every loop in the suite is bounded by these counts and deadlines."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Storm:
    """The worker death storm."""

    jobs: int
    workers: int
    kill_every: tuple[float, float]
    """Seconds between two kills, drawn uniformly from this range."""
    min_kills: int
    deadline: float
    """Seconds the whole scenario may take before it fails."""


SMALL = Storm(jobs=300, workers=3, kill_every=(0.3, 0.8), min_kills=12, deadline=120)
FULL = Storm(jobs=10_000, workers=8, kill_every=(2.0, 5.0), min_kills=200, deadline=1_800)

RECOVERY_BOUND = 60.0
"""Seconds within which a killed worker's job must be running again (the pass figure)."""


def storm() -> Storm:
    return FULL if os.environ.get("SOAK_SCALE") == "full" else SMALL


@dataclass(frozen=True)
class RedisLoss:
    """Redis SIGKILLed and restarted from its AOF while submissions go on."""

    submissions: int
    crashes: int
    down_seconds: float
    """How long Redis stays down after each crash."""
    deadline: float


SMALL_LOSS = RedisLoss(submissions=120, crashes=3, down_seconds=0.5, deadline=180)
FULL_LOSS = RedisLoss(submissions=5_000, crashes=3, down_seconds=2.0, deadline=1_200)

FLUSH_BOUND = 60.0
"""Seconds within which every job left unfinished by a FLUSHALL must complete."""


def redis_loss() -> RedisLoss:
    return FULL_LOSS if os.environ.get("SOAK_SCALE") == "full" else SMALL_LOSS


@dataclass(frozen=True)
class SchedulerPause:
    """The scheduler's lock holder frozen while delayed jobs come due."""

    jobs: int
    workers: int
    frozen_seconds: float
    deadline: float


SMALL_PAUSE = SchedulerPause(jobs=100, workers=3, frozen_seconds=5, deadline=120)
FULL_PAUSE = SchedulerPause(jobs=1_000, workers=3, frozen_seconds=30, deadline=600)


def scheduler_pause() -> SchedulerPause:
    return FULL_PAUSE if os.environ.get("SOAK_SCALE") == "full" else SMALL_PAUSE
