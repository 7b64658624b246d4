"""Settings about running jobs, read by job-api and the workers alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Reader, Settings, checked

DEFAULT_TIMEOUT_SECONDS = 600
"""A job's ``timeout_seconds`` when the caller gives none (``timed`` adds its duration)."""

MAX_TIMEOUT_SECONDS = 24 * 3600
"""Longest ``timeout_seconds`` a caller may ask for."""


def default_timeout(
    job_type: str, payload: Mapping[str, Any], fallback: int = DEFAULT_TIMEOUT_SECONDS
) -> int:
    """Timeout for a job whose caller gave none: a timed job gets its duration plus a minute."""
    if job_type == "timed":
        return int(payload["duration_seconds"]) + 60
    return fallback


@dataclass(frozen=True)
class JobSettings(Settings):
    """Settings about running jobs, read by job-api and the workers alike."""

    artifacts_dir: Path
    # Retry n waits about base * 2**(n-1) seconds (with jitter), never more than max.
    job_retry_base_seconds: float
    job_retry_max_seconds: float
    # A running job whose worker stops renewing its lease for this long is run again.
    job_lease_seconds: float
    job_sweep_interval: float
    # Committed rows missing from Redis for longer than this are enqueued by the sweep.
    job_enqueue_grace: float
    # SIGTERM lets the current job run this long before it is handed back to the queue.
    job_shutdown_grace: float
    # Seconds between two looks for due schedules (in every worker).
    schedule_poll_interval: float
    # A tick not fired within this many seconds was missed: skipped (or caught up once).
    schedule_misfire_grace: float

    @classmethod
    def read(cls, env: Reader) -> JobSettings:
        """Read the job settings, with local defaults."""
        var_dir = Path(env.text("VAR_DIR", "var")).resolve()
        return cls(
            artifacts_dir=Path(env.text("ARTIFACTS_DIR", str(var_dir / "artifacts"))).resolve(),
            job_retry_base_seconds=env.number("JOB_RETRY_BASE_SECONDS", 2.0, positive=True),
            job_retry_max_seconds=env.number("JOB_RETRY_MAX_SECONDS", 600.0, positive=True),
            job_lease_seconds=env.number("JOB_LEASE_SECONDS", 10.0, positive=True),
            job_sweep_interval=env.number("JOB_SWEEP_INTERVAL", 3.0, positive=True),
            job_enqueue_grace=env.number("JOB_ENQUEUE_GRACE", 5.0),
            job_shutdown_grace=env.number("JOB_SHUTDOWN_GRACE", 25.0),
            schedule_poll_interval=env.number("SCHEDULE_POLL_INTERVAL", 0.5, positive=True),
            schedule_misfire_grace=env.number("SCHEDULE_MISFIRE_GRACE", 60.0),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the job settings from environment variables, as a config mapping (scripts)."""
    return checked(JobSettings.read, environ).flask_config()
