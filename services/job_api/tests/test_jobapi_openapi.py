"""job-api's OpenAPI document says what the API answers: errors are problem documents,
query parameters of the wrong shape are refused, and schemathesis (every check) finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conveyor_testing.api import non_problem_errors, run_schemathesis, serve

DOCUMENT = "/docs/jobs/openapi.json"

Auth = Callable[..., dict[str, str]]

# What schemathesis.toml beside this file turns off, and why, is said there.
SCHEMATHESIS_CONFIG = Path(__file__).with_name("schemathesis.toml").read_text()


def test_every_documented_error_is_a_problem_document(client: FlaskClient) -> None:
    assert non_problem_errors(client.get(DOCUMENT).get_json()) == []


LISTS = ["/api/jobs", "/api/jobs/status/queued"]

# A one-value parameter given twice, or in a bracketed (object or array) form.
BAD_SHAPES = ["page[a]=1", "per_page=1&per_page=2", "status=queued&status=failed",
              "status[]=queued", "status[a]=queued", "sort=id&sort=-id", "sort[]=id",
              "type=timed&type=email", "user_id=1&user_id=2",
              "user_ids=1&user_ids=2", "nosuch=1"]  # fmt: skip


@pytest.mark.parametrize("query", BAD_SHAPES)
@pytest.mark.parametrize("path", LISTS)
def test_a_query_parameter_of_the_wrong_shape_is_a_422_problem(
    client: FlaskClient, auth: Auth, path: str, query: str
) -> None:
    response = client.get(f"{path}?{query}", headers=auth(1, role="admin"))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    name = query.split("=")[0].split("[")[0]
    assert any(key.startswith(name) for key in response.get_json()["errors"])


def test_batch_is_no_job_id(client: FlaskClient, auth: Auth) -> None:
    response = client.options("/api/jobs/batch", headers=auth(1))
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "authenticated"])
def test_schemathesis_finds_nothing(
    app: Flask, auth: Auth, tmp_path: Path, signed_in: bool
) -> None:
    app.config["EVENTS_MAX_STREAM_SECONDS"] = 1  # an event stream ends, so each case does
    headers = [f"Authorization: {auth(1)['Authorization']}"] if signed_in else []
    with serve(app) as url:
        run = run_schemathesis(url + DOCUMENT, tmp_path, headers, SCHEMATHESIS_CONFIG)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
