"""Settings about running jobs, read by job-api and the workers alike."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the job settings from environment variables, with local defaults."""
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("VAR_DIR", "var")).resolve()
    return {
        "ARTIFACTS_DIR": str(Path(env.get("ARTIFACTS_DIR", str(var_dir / "artifacts"))).resolve()),
        # Retry n waits about base * 2**(n-1) seconds (with jitter), never more than max.
        "JOB_RETRY_BASE_SECONDS": float(env.get("JOB_RETRY_BASE_SECONDS", 2.0)),
        "JOB_RETRY_MAX_SECONDS": float(env.get("JOB_RETRY_MAX_SECONDS", 600.0)),
        # A running job whose worker stops renewing its lease for this long is run again.
        "JOB_LEASE_SECONDS": float(env.get("JOB_LEASE_SECONDS", 10.0)),
        "JOB_SWEEP_INTERVAL": float(env.get("JOB_SWEEP_INTERVAL", 3.0)),
        # Committed rows missing from Redis for longer than this are enqueued by the sweep.
        "JOB_ENQUEUE_GRACE": float(env.get("JOB_ENQUEUE_GRACE", 5.0)),
        # SIGTERM lets the current job run this long before it is handed back to the queue.
        "JOB_SHUTDOWN_GRACE": float(env.get("JOB_SHUTDOWN_GRACE", 25.0)),
        # Seconds between two looks for due schedules (in every worker).
        "SCHEDULE_POLL_INTERVAL": float(env.get("SCHEDULE_POLL_INTERVAL", 0.5)),
        # A tick not fired within this many seconds was missed: skipped (or caught up once).
        "SCHEDULE_MISFIRE_GRACE": float(env.get("SCHEDULE_MISFIRE_GRACE", 60.0)),
    }
