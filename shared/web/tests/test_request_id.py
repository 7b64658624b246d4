import json
from typing import Any

import pytest

from conveyor_core import logs


def test_request_id_is_made_when_absent(client: Any) -> None:
    response = client.get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32


def test_request_id_is_echoed(client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


def test_request_id_is_echoed_on_errors(client: Any) -> None:
    response = client.get("/api/nowhere", headers={"X-Request-ID": "err-1"})
    assert response.headers["X-Request-ID"] == "err-1"


@pytest.mark.parametrize("unsafe", ["has space", "x" * 200, "new\\nline"])
def test_unsafe_request_id_is_replaced(client: Any, unsafe: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": unsafe})
    assert response.headers["X-Request-ID"] != unsafe


def test_log_lines_are_json_with_request_id(app_factory: Any, tmp_path: Any) -> None:
    app = app_factory(LOG_DIR=str(tmp_path))
    app.test_client().get("/api/things/boom", headers={"X-Request-ID": "trace-9"})
    logs.flush()
    lines = (tmp_path / "shared-test.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    failure = next(r for r in records if r["message"] == "unhandled exception")
    assert failure["request_id"] == "trace-9"
    assert failure["service"] == "shared-test"
    assert failure["level"] == "ERROR"
