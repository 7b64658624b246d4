"""user-service's OpenAPI document says what the API answers: errors are problem documents,
query parameters of the wrong shape are refused, and schemathesis (every check) finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conveyor_testing.api import non_problem_errors, run_schemathesis, serve

DOCUMENT = "/docs/users/openapi.json"

Session = Callable[..., tuple[dict[str, Any], dict[str, str]]]


def test_every_documented_error_is_a_problem_document(client: FlaskClient) -> None:
    assert non_problem_errors(client.get(DOCUMENT).get_json()) == []


def test_the_problem_schema_names_every_member(client: FlaskClient) -> None:
    schema = client.get(DOCUMENT).get_json()["components"]["schemas"]["Problem"]
    assert set(schema["properties"]) == {"type", "title", "status", "detail", "errors"}


# A one-value parameter given twice, or in a bracketed (object or array) form.
BAD_SHAPES = ["page[a]=1", "per_page=1&per_page=2", "page=1&page=2", "sort=id&sort=-id",
              "sort[]=id", "sort[a]=id", "per_page[]=5", "nosuch=1"]  # fmt: skip


@pytest.mark.parametrize("query", BAD_SHAPES)
def test_a_query_parameter_of_the_wrong_shape_is_a_422_problem(
    client: FlaskClient, user_session: Session, query: str
) -> None:
    _, headers = user_session("lister")
    response = client.get(f"/api/users?{query}", headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    name = query.split("=")[0].split("[")[0]
    assert any(key.startswith(name) for key in response.get_json()["errors"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "authenticated"])
def test_schemathesis_finds_nothing(
    app: Flask, user_session: Session, tmp_path: Path, signed_in: bool
) -> None:
    headers = [f"Authorization: {user_session('fuzzer')[1]['Authorization']}"] if signed_in else []
    with serve(app) as url:
        run = run_schemathesis(url + DOCUMENT, tmp_path, headers)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
