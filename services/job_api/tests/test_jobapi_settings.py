"""job-api's settings: defaults without an environment, and a bad value named at start."""

from __future__ import annotations

import runpy

import pytest

from conveyor_core.exceptions import ConfigurationError
from job_api import gunicorn_conf
from job_api.settings import JobApiSettings


def test_defaults_need_no_environment() -> None:
    settings = JobApiSettings.from_env({})
    assert (settings.schedules_per_user, settings.job_cache_enabled) == (100, True)
    assert settings.flask_config()["EVENTS_SNAPSHOT_INTERVAL"] == 1.0


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("JOB_CACHE_ENABLED", "perhaps"),
        ("SCHEDULES_PER_USER", "many"),
        ("JOB_RETRY_BASE_SECONDS", "0"),
        ("EVENTS_MAX_STREAMS", "-3"),
    ],
)
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        JobApiSettings.from_env({name: raw})


@pytest.mark.parametrize(("name", "raw"), [("WEB_CONCURRENCY", "many"), ("GUNICORN_TIMEOUT", "-1")])
def test_a_bad_server_setting_stops_gunicorn_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigurationError, match=name):
        runpy.run_path(gunicorn_conf.__file__)


def test_a_blank_server_setting_takes_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "")
    assert runpy.run_path(gunicorn_conf.__file__)["workers"] == 2
