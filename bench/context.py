"""What every scenario gets: settings, the private Redis, tools, and where to write."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import redis

from conveyor_web.revocation import mark_built

from .config import ROOT, Config
from .exceptions import Unavailable
from .results import Results

BIN = Path(sys.executable).parent
"""The virtual environment's ``bin`` directory (python, gunicorn, rq, celery, flask)."""


@dataclass
class Bench:
    """One run of the suite."""

    config: Config
    redis_url: str
    """The private Redis server (any database number; see the two below)."""
    wrk: str | None = None
    load_method: str = "python"
    missing: dict[str, str] = field(default_factory=dict)
    """Peer or tool name → why it cannot be used in this run."""
    results: Results = field(default_factory=Results)

    @property
    def work_dir(self) -> Path:
        return self.config.work_dir

    @property
    def conveyor_url(self) -> str:
        """Redis database 0: Conveyor's services."""
        return _with_db(self.redis_url, 0)

    @property
    def peer_url(self) -> str:
        """Redis database 1: the peers and the dispatcher microbenchmark."""
        return _with_db(self.redis_url, 1)

    def conveyor_redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.conveyor_url)

    def peer_redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.peer_url)

    def flush_conveyor(self) -> None:
        """Empty Conveyor's database (before a fresh stack starts)."""
        _flush(self.conveyor_url)

    def flush_peers(self) -> None:
        """Empty the peers' database (before each peer run)."""
        _flush(self.peer_url)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child process: ours, the repo on the path, and ``extra``."""
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **extra}

    def log(self, name: str) -> Path:
        """Where a child process named ``name`` writes its output."""
        return self.work_dir / "logs" / f"{name}.log"

    def require(self, peer: str) -> None:
        """Raise :class:`Unavailable` if ``peer`` (or a tool) cannot be used in this run."""
        if peer in self.missing:
            raise Unavailable(self.missing[peer])


def _with_db(url: str, number: int) -> str:
    base, _, _ = url.rstrip("/").rpartition("/")
    return f"{base}/{number}"


def _flush(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        mark_built(client)  # no user-service here to build the view of revoked tokens
    finally:
        client.close()
