"""job-api's settings, read from the environment inside ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor_core.jobs.settings import JobSettings
from conveyor_core.settings import DeployableSettings, Reader, ServiceSettings

from .resources.events import settings as events_settings

SERVICE = "job-api"

DATABASE = "jobs"
"""Name of the local SQLite file when DATABASE_URL is unset (the worker's too)."""

SCHEDULES_PER_USER = 100
"""Most schedules one user may have (``SCHEDULES_PER_USER``)."""


@dataclass(frozen=True)
class JobApiSettings(DeployableSettings):
    """Everything job-api reads from its environment (gunicorn's own settings aside:
    ``gunicorn_conf.py``)."""

    service: ServiceSettings
    jobs: JobSettings
    schedules_per_user: int
    # Cached reads of jobs (caching.py); off, every read goes to the database.
    job_cache_enabled: bool
    # ``/api/events``' pacing and limits, by variable name (events/settings.py).
    events: dict[str, float] = field(metadata={"flatten": True})

    @classmethod
    def read(cls, env: Reader) -> JobApiSettings:
        """Build the settings from ``env`` (``from_env`` checks them)."""
        return cls(
            service=ServiceSettings.read(env, SERVICE, database=DATABASE),
            jobs=JobSettings.read(env),
            schedules_per_user=env.integer("SCHEDULES_PER_USER", SCHEDULES_PER_USER, minimum=0),
            job_cache_enabled=env.flag("JOB_CACHE_ENABLED", True),
            events=events_settings.read(env),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return this service's settings from ``environ`` (default: the process environment)."""
    return JobApiSettings.from_env(environ).flask_config()
