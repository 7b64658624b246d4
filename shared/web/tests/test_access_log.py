"""One JSON access line per request, written off the request path by the log thread."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from conveyor_core import logs


def _access_lines(log_dir: Path) -> list[dict[str, Any]]:
    logs.flush()
    records = [json.loads(line) for line in (log_dir / "shared-test.log").read_text().splitlines()]
    return [r for r in records if r.get("event") == "http.request"]


@pytest.fixture
def logged(app_factory: Callable[..., Flask], tmp_path: Path) -> Flask:
    return app_factory(LOG_DIR=str(tmp_path), LOG_LEVEL="INFO")


def test_access_line_names_request_user_status_duration_and_size(
    logged: Flask, tmp_path: Path, make_token: Callable[..., str]
) -> None:
    headers = {"X-Request-ID": "r1", "Authorization": f"Bearer {make_token(42)}"}
    response = logged.test_client().get("/api/things/me", headers=headers)
    (line,) = _access_lines(tmp_path)
    assert line["request_id"] == "r1"
    assert line["user_id"] == "42"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/things/me", 200)
    assert line["bytes"] == len(response.data)
    assert line["duration_ms"] > 0
    assert line["service"] == "shared-test"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("token=s3cret", "token=[redacted]"),
        ("a=1&access_token=s3cret&b=2", "a=1&access_token=[redacted]&b=2"),
        ("Password=s3cret", "Password=[redacted]"),
        ("page=2&per_page=5", "page=2&per_page=5"),
    ],
)
def test_access_line_redacts_secrets_in_the_query(
    logged: Flask, tmp_path: Path, query: str, shown: str
) -> None:
    logged.test_client().get(f"/api/things/conflict?{query}")
    (line,) = _access_lines(tmp_path)
    assert line["path"] == f"/api/things/conflict?{shown}"
    assert "s3cret" not in (tmp_path / "shared-test.log").read_text()


def test_anonymous_request_and_error_still_get_a_line(logged: Flask, tmp_path: Path) -> None:
    logged.test_client().post("/api/things", json={"name": "x"}, headers={"X-Request-ID": "r2"})
    (line,) = _access_lines(tmp_path)
    assert (line["status"], line["user_id"], line["request_id"]) == (422, None, "r2")


def test_user_of_one_request_does_not_leak_into_the_next(
    logged: Flask, tmp_path: Path, make_token: Callable[..., str]
) -> None:
    client = logged.test_client()
    client.get("/api/things/me", headers={"Authorization": f"Bearer {make_token(7)}"})
    client.get("/api/things/conflict")
    assert [line["user_id"] for line in _access_lines(tmp_path)] == ["7", None]


def test_warning_level_writes_no_access_lines(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(LOG_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    app.test_client().get("/api/things/conflict")
    assert _access_lines(tmp_path) == []
