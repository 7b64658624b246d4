"""The worker's settings: the shared ones, for the ``jobs`` database, plus job settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from conveyor_core import settings
from conveyor_core.jobs import settings as job_settings

SERVICE = "worker"


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the worker's settings from environment variables."""
    env = os.environ if environ is None else environ
    config = settings.load(SERVICE, env, database="jobs")
    config.update(job_settings.load(env))
    config["JOB_PROGRESS_INTERVAL"] = float(env.get("JOB_PROGRESS_INTERVAL", 0.5))
    config["WORKER_MAINTENANCE_INTERVAL"] = int(env.get("WORKER_MAINTENANCE_INTERVAL", 30))
    return config
