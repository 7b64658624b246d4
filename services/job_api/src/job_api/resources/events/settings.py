"""Settings of ``/api/events``, read with job-api's settings (``job_api.settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from conveyor_core.settings import Reader

from . import gate

DEFAULTS: dict[str, float] = {
    # How often a stream sends the caller's queued and running jobs.
    "EVENTS_SNAPSHOT_INTERVAL": 1.0,
    # A comment line this often keeps idle connections open through proxies.
    "EVENTS_HEARTBEAT_SECONDS": 15.0,
    # A stream ends after this long; the client reconnects with Last-Event-ID.
    "EVENTS_MAX_STREAM_SECONDS": 3600.0,
    # Lifetime of a token minted by POST /api/events/token.
    "EVENTS_TOKEN_TTL": 60.0,
    # The reconnection delay the stream asks browsers to use (SSE ``retry:``), in ms.
    "EVENTS_RETRY_MS": 2000.0,
    # Most jobs listed in one snapshot (counts cover the rest).
    "EVENTS_SNAPSHOT_JOBS": 50.0,
    # Most streams one process keeps open (gunicorn's worker_connections is 1000).
    "EVENTS_MAX_STREAMS": 800.0,
}
"""Every setting and its default."""

MAX_BLOCK_SECONDS = 2.0
"""Longest single wait on Redis: well under the client's 5 s socket timeout."""


@dataclass(frozen=True)
class StreamSettings:
    """How one stream paces itself."""

    snapshot_interval: float
    heartbeat_seconds: float
    max_seconds: float
    retry_ms: int
    snapshot_jobs: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> StreamSettings:
        """Read the settings from a Flask config."""
        return cls(
            snapshot_interval=float(config["EVENTS_SNAPSHOT_INTERVAL"]),
            heartbeat_seconds=float(config["EVENTS_HEARTBEAT_SECONDS"]),
            max_seconds=float(config["EVENTS_MAX_STREAM_SECONDS"]),
            retry_ms=int(config["EVENTS_RETRY_MS"]),
            snapshot_jobs=int(config["EVENTS_SNAPSHOT_JOBS"]),
        )


def read(env: Reader) -> dict[str, float]:
    """Read every setting (a positive number) from ``env``, with defaults."""
    return {name: env.number(name, default, positive=True) for name, default in DEFAULTS.items()}


def load(environ: Mapping[str, str] | None = None) -> dict[str, float]:
    """Return the settings from environment variables, with defaults; reject bad values."""
    env = Reader(environ)
    settings = read(env)
    env.check()
    return settings


def init_app(app: Flask) -> None:
    """Check the settings job-api's settings object put in the app's config."""
    StreamSettings.of(app.config)  # fail at start-up, not on the first stream
    gate.init_app(app)
