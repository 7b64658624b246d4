"""The worker's settings: defaults without an environment, and a bad value named at start."""

from __future__ import annotations

import pytest

from conveyor_core.exceptions import ConfigurationError
from worker.settings import WorkerSettings


def test_defaults_need_no_environment() -> None:
    settings = WorkerSettings.from_env({})
    assert settings.jobs.job_lease_seconds == 10.0
    assert settings.flask_config()["WORKER_MAINTENANCE_INTERVAL"] == 30


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("JOB_LEASE_SECONDS", "soon"),
        ("JOB_LEASE_SECONDS", "0"),
        ("JOB_SWEEP_INTERVAL", "nan"),
        ("JOB_SHUTDOWN_GRACE", "inf"),
        ("JOB_PROGRESS_INTERVAL", "-1"),
        ("WORKER_MAINTENANCE_INTERVAL", "0.5"),
        ("TIER_WEIGHTS", "free"),
    ],
)
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        WorkerSettings.from_env({name: raw})
