"""Settings of ``/api/events``: read from the environment, checked at start, and obeyed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import events_support as support
import pytest
from flask import Flask

from conveyor_core.exceptions import ConfigurationError
from job_api.resources.events import settings


def test_snapshot_interval_defaults_to_one_second() -> None:
    assert settings.load({})["EVENTS_SNAPSHOT_INTERVAL"] == 1.0


def test_snapshot_interval_is_read_from_the_environment() -> None:
    assert settings.load({"EVENTS_SNAPSHOT_INTERVAL": "2.5"})["EVENTS_SNAPSHOT_INTERVAL"] == 2.5


@pytest.mark.parametrize("raw", ["abc", "", "0", "-1", "nan", "inf"])
@pytest.mark.parametrize("name", ["EVENTS_SNAPSHOT_INTERVAL", "EVENTS_HEARTBEAT_SECONDS"])
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        settings.load({name: raw})


@pytest.fixture
def app(
    database_url: str, redis_url: str, jwt_keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    # The environment says 30 s; the app's own config (0.2 s here) must win.
    monkeypatch.setenv("EVENTS_SNAPSHOT_INTERVAL", "30")
    app = support.make_app(support.base_config(database_url, redis_url, jwt_keys))
    yield app
    support.close_app(app)


def test_the_apps_config_wins_over_the_environment(app: Flask) -> None:
    assert app.config["EVENTS_SNAPSHOT_INTERVAL"] == 0.2


HEARTBEATS = 8
"""Keep-alive comments read per stream: at 0.25 s apart, a window of at least 2 s."""


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(0.2, lambda count: count >= HEARTBEATS - 2), (30.0, lambda count: count == 1)],
    ids=["every-0.2s", "every-30s"],
)
def test_snapshots_follow_the_configured_interval(
    app: Flask,
    make_token: Callable[..., str],
    interval: float,
    expected: Callable[[int], bool],
) -> None:
    app.config.update(EVENTS_SNAPSHOT_INTERVAL=interval, EVENTS_HEARTBEAT_SECONDS=0.25)
    client = app.test_client()
    response = client.get("/api/events", headers=support.bearer(make_token(1)), buffered=False)
    seen: list[Any] = []
    try:
        stream = support.messages(response.response, time.monotonic() + 30)
        heartbeats = 0
        while heartbeats < HEARTBEATS:
            message = next(stream)
            seen.append(message)
            heartbeats += message.comment is not None
    finally:
        response.close()

    # Heartbeats pace the window; the opening snapshot counts as one.
    snapshots = sum(message.event == "snapshot" for message in seen)
    assert expected(snapshots), snapshots
