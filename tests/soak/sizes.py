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
    """Kills at least; the storm goes on while its load runs."""
    load: Load | None
    """locust's simulated users submitting and polling jobs through job-api meanwhile."""
    deadline: float
    """Seconds the whole scenario may take before it fails."""


@dataclass(frozen=True)
class Load:
    """One run of locust's simulated users, each submitting a job and polling it until it
    ends."""

    name: str
    users: int
    seconds: int
    kill_every: tuple[float, float] | None
    """Seconds between two worker kills during a run of its own (``None``: the storm's)."""


SMALL = Storm(jobs=300, workers=3, kill_every=(0.3, 0.8), min_kills=12, load=None,
              deadline=120)  # fmt: skip
"""``make test``: a kill every 0.3-0.8 s leaves the workers too little time between
restarts for users waiting on their jobs; its load runs apart (:data:`SMALL_LOAD`)."""
FULL = Storm(jobs=10_000, workers=8, kill_every=(2.0, 5.0), min_kills=200,
             load=Load("200 users during the worker death storm", users=200, seconds=600,
                       kill_every=None),
             deadline=1_800)  # fmt: skip
"""``make soak``: the issue's 200 users for 10 minutes during the storm, sharing its kills
and its 8 workers."""

RECOVERY_BOUND = 60.0
"""Seconds within which a killed worker's job must be running again (the pass figure)."""


FULL_ON = "postgresql"
"""The backend ``make soak`` runs the full storm on: production's. The storm's 200 kills at
2-5 s take at least 11.7 minutes on each backend it runs on, which left no room in the 45
minutes; on SQLite ``make soak`` runs ``make test``'s storm and load (the full storm passed on
SQLite on 2026-12-04 in 21.7 minutes: docs/operations.md)."""


def storm(backend: str) -> Storm:
    """The storm's size on ``backend`` (a SQLAlchemy backend name)."""
    return FULL if full() and backend == FULL_ON else SMALL


def notifiers(backend: str) -> int:
    """Notifier processes beside the storm. One notifier fell ~6,000 emails behind during the
    full storm with its load (it shares two cores with 8 workers and 200 users); three share
    the work through the ledger's leases, which the storm's exactly-once count then checks."""
    return 3 if storm(backend) is FULL else 1


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


def full() -> bool:
    return os.environ.get("SOAK_SCALE") == "full"


@dataclass(frozen=True)
class Partition:
    """Lost connections: a fault proxy between the services (and workers) and Redis, and
    PostgreSQL when the suite runs on it."""

    clients: int
    phase_seconds: float
    """How long the latency phase and the dropping phase each last."""
    latency: float
    """Seconds added to every chunk in the latency phase."""
    blackhole_seconds: float
    """How long each dependency is blackholed: longer than the services' 5 s timeouts."""
    deadline: float


SMALL_PARTITION = Partition(clients=3, phase_seconds=2, latency=0.05, blackhole_seconds=6,
                            deadline=120)  # fmt: skip
FULL_PARTITION = Partition(clients=8, phase_seconds=20, latency=0.05, blackhole_seconds=10,
                           deadline=600)  # fmt: skip

HANG_BOUND = 15.0
"""Longest any request may take while a dependency is gone: a request meets each dependency's
5 s timeout (Redis socket, PostgreSQL connect) at most once (a request Redis has failed fails
its later Redis calls at once: ``conveyor_web.redis_client``), plus slack for a loaded host."""


def partition() -> Partition:
    return FULL_PARTITION if full() else SMALL_PARTITION


LOAD_WORKERS = 4
"""Workers of the small load's own run."""

SMALL_LOAD = (Load("workers killed every 2-5 s", users=20, seconds=20, kill_every=(2.0, 5.0)),)
"""``make test`` runs 20 users for 20 s (the issue's 200 users for 2 minutes would not fit
CI's 30 minutes); ``make soak`` runs no load of its own where the full storm runs (see
:data:`FULL`)."""

MAX_ERROR_RATE = 0.001
"""The load's failed requests (and jobs not completed in 60 s) over all its requests."""


def load(backend: str) -> tuple[Load, ...]:
    """The load's own runs on ``backend``: none where the full storm carries it."""
    return () if storm(backend).load else SMALL_LOAD


FUZZ_EXAMPLES = 200
"""schemathesis test cases per operation and phase in the full run (each service's own
suite runs a few per operation in ``make test``)."""


def login_tries() -> int:
    """Logins timed per case (an unknown user, a wrong password) for the timing figure."""
    return 400 if full() else 15


LOGIN_TIMING_BOUND = 0.10
"""An unknown user's median login time is within this fraction of a wrong password's."""
