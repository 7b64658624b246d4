"""A service's own errors (``conveyor_web.errors.ServiceError``) are answered by one
handler with their problem document, status and headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from conveyor_web import errors

REFUSALS: dict[str, errors.ServiceError] = {
    "unauthorized": errors.Unauthorized("Who are you?"),
    "forbidden": errors.Forbidden("Only admins may do this."),
    "not-found": errors.NotFound("No such thing."),
    "conflict": errors.Conflict("Already there."),
    "unprocessable": errors.Unprocessable("Not valid.", errors={"name": ["Too short."]}),
    "too-many": errors.TooManyRequests("Slow down.", retry_after=7),
    "unavailable": errors.Unavailable("Busy.", retry_after=5),
}


@pytest.fixture
def refusing(app_factory: Callable[..., Flask]) -> Any:
    app = app_factory()

    def refuse(kind: str) -> None:
        raise REFUSALS[kind]

    app.add_url_rule("/refused/<kind>", view_func=refuse)
    return app.test_client()


@pytest.mark.parametrize(
    ("kind", "status", "headers"),
    [
        ("unauthorized", 401, {"WWW-Authenticate": "Bearer"}),
        ("forbidden", 403, {}),
        ("not-found", 404, {}),
        ("conflict", 409, {}),
        ("unprocessable", 422, {}),
        ("too-many", 429, {"Retry-After": "7"}),
        ("unavailable", 503, {"Retry-After": "5"}),
    ],
)
def test_a_service_error_is_answered_with_its_problem(
    refusing: Any, kind: str, status: int, headers: dict[str, str]
) -> None:
    response = refusing.get(f"/refused/{kind}")
    assert response.status_code == status
    assert response.mimetype == errors.PROBLEM_MIME
    body = response.get_json()
    assert (body["status"], body["detail"]) == (status, REFUSALS[kind].detail)
    assert body.get("errors") == REFUSALS[kind].errors
    for name, value in headers.items():
        assert response.headers[name] == value
