"""user-service's access lines name the user, also on the requests that make them known."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from conveyor_core import logs


@pytest.fixture
def log_dir(config: dict[str, Any], tmp_path: Path) -> Path:
    config.update(LOG_DIR=str(tmp_path / "log"), LOG_LEVEL="INFO")
    return tmp_path / "log"


def _access(log_dir: Path) -> dict[str, dict[str, Any]]:
    """The access lines, by request id."""
    logs.flush()
    lines = [json.loads(x) for x in (log_dir / "user-service.log").read_text().splitlines()]
    return {x["request_id"]: x for x in lines if x.get("event") == "http.request"}


def test_signup_login_and_me_lines_name_the_user(
    log_dir: Path, client: FlaskClient, login: Callable[..., Any]
) -> None:
    body = {"username": "ada", "email": "ada@example.com", "password": "correct horse battery"}
    user = client.post("/api/users", json=body, headers={"X-Request-ID": "s1"}).get_json()
    tokens = login("ada")
    client.get("/api/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}",
                                         "X-Request-ID": "m1"})  # fmt: skip
    lines = _access(log_dir)
    assert (lines["s1"]["user_id"], lines["s1"]["status"]) == (str(user["id"]), 201)
    assert (lines["m1"]["user_id"], lines["m1"]["path"]) == (str(user["id"]), "/api/users/me")
    login_line = next(x for x in lines.values() if x["path"] == "/api/auth/login")
    assert login_line["user_id"] == str(user["id"])
    assert "correct horse" not in (log_dir / "user-service.log").read_text()


def test_failed_login_line_names_no_user(log_dir: Path, client: FlaskClient) -> None:
    body = {"username": "nobody", "password": "wrong password here"}
    client.post("/api/auth/login", json=body, headers={"X-Request-ID": "f1"})
    line = _access(log_dir)["f1"]
    assert (line["status"], line["user_id"]) == (401, None)
