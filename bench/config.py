"""Settings of one bench run, from ``BENCH_*`` environment variables.

The defaults are the full configuration (10,000 jobs, 3 repetitions); develop with
``BENCH_JOBS=500 BENCH_REPEAT=1`` and pick scenarios with ``BENCH_SCENARIOS=a,d``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""

SCENARIOS = ("a", "b", "c", "d", "e", "f")
"""Every scenario, in the order they run (see :mod:`bench.scenarios`)."""

PEERS = ("rq", "celery", "bullmq", "express")
"""Every peer system (``express``: the original brief's Express + BullMQ + PostgreSQL)."""


@dataclass(frozen=True)
class Config:
    """What to measure and how hard."""

    jobs: int = 10_000
    repeat: int = 3
    database_url: str | None = None
    scenarios: tuple[str, ...] = SCENARIOS
    peers: tuple[str, ...] = PEERS
    http_seconds: float = 5.0
    http_connections: int = 16
    latency_jobs: int = 300
    fair_jobs_per_user_small: int = 2_000
    fair_dispatches: int = 5_000
    timed_jobs_per_worker: int = 8
    timed_workers: tuple[int, ...] = (1, 2, 4, 8)
    run_timeout: float = 900.0
    out_dir: Path = ROOT / "var" / "reports"
    work_dir: Path = ROOT / "var" / "bench"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read the settings; unknown scenario or peer names are refused."""
        env = os.environ if env is None else env

        def number(name: str, default: float) -> float:
            value = env.get(name)
            return float(value) if value else default

        scenarios = _names(env.get("BENCH_SCENARIOS"), SCENARIOS, "BENCH_SCENARIOS")
        peers = _names(env.get("BENCH_PEERS"), PEERS, "BENCH_PEERS")
        defaults = cls()
        return cls(
            jobs=max(10, int(number("BENCH_JOBS", defaults.jobs))),
            repeat=max(1, int(number("BENCH_REPEAT", defaults.repeat))),
            database_url=env.get("BENCH_DATABASE_URL") or None,
            scenarios=scenarios,
            peers=peers,
            http_seconds=max(1.0, number("BENCH_HTTP_SECONDS", defaults.http_seconds)),
            http_connections=max(1, int(number("BENCH_HTTP_CONNECTIONS", 16))),
            latency_jobs=max(10, int(number("BENCH_LATENCY_JOBS", defaults.latency_jobs))),
            fair_dispatches=max(100, int(number("BENCH_FAIR_DISPATCHES", 5_000))),
            run_timeout=max(10.0, number("BENCH_RUN_TIMEOUT", defaults.run_timeout)),
            out_dir=Path(env.get("BENCH_OUT") or defaults.out_dir).resolve(),
        )


def _names(value: str | None, known: tuple[str, ...], setting: str) -> tuple[str, ...]:
    if not value:
        return known
    names = tuple(n.strip().lower() for n in value.split(",") if n.strip())
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"{setting}: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(n for n in known if n in names)
