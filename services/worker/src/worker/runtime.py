"""What a worker process holds for its jobs: settings, database, Redis, the monitor.

RQ calls job functions by dotted path with only their arguments, so the process keeps
these in one place that :func:`configure` fills at start-up and :func:`get` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs.db import make_engine
from conveyor_core.redis_connection import connect

from .exceptions import WorkerError

if TYPE_CHECKING:
    from .monitor import Monitor


@dataclass
class Runtime:
    """One worker process's resources."""

    config: Mapping[str, Any]
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    artifacts_dir: Path
    worker_name: str = "unnamed"
    monitor: Monitor | None = None

    def close(self) -> None:
        """Release connections (the monitor is stopped by its owner)."""
        self.engine.dispose()
        self.redis.close()


_current: Runtime | None = None


def configure(config: Mapping[str, Any]) -> Runtime:
    """Create this process's runtime from ``config``."""
    global _current
    engine = make_engine(config["SQLALCHEMY_DATABASE_URI"])
    artifacts = Path(config["ARTIFACTS_DIR"])
    artifacts.mkdir(parents=True, exist_ok=True)
    _current = Runtime(
        config=config,
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        redis=connect(config["REDIS_URL"]),
        artifacts_dir=artifacts,
    )
    return _current


def get() -> Runtime:
    """Return this process's runtime."""
    if _current is None:
        raise WorkerError("worker runtime is not configured (run `python -m worker`)")
    return _current


def reset() -> None:
    """Forget the runtime (tests that configure several in one process)."""
    global _current
    if _current is not None:
        _current.close()
    _current = None
