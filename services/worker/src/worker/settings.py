"""The worker's settings: the shared ones, for the ``jobs`` database, plus job settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor_core.jobs.settings import JobSettings
from conveyor_core.settings import DeployableSettings, Reader, ServiceSettings

SERVICE = "worker"


@dataclass(frozen=True)
class WorkerSettings(DeployableSettings):
    """Everything a worker process reads from its environment."""

    service: ServiceSettings
    jobs: JobSettings
    # Seconds between two progress writes of a running job.
    job_progress_interval: float
    # Seconds between RQ's maintenance passes (registries' cleanup).
    worker_maintenance_interval: int

    @classmethod
    def read(cls, env: Reader) -> WorkerSettings:
        """Build the settings from ``env`` (``from_env`` checks them)."""
        return cls(
            service=ServiceSettings.read(env, SERVICE, database="jobs"),
            jobs=JobSettings.read(env),
            job_progress_interval=env.number("JOB_PROGRESS_INTERVAL", 0.5, positive=True),
            worker_maintenance_interval=env.integer("WORKER_MAINTENANCE_INTERVAL", 30, minimum=1),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the worker's settings from environment variables, as a config mapping."""
    return WorkerSettings.from_env(environ).flask_config()
