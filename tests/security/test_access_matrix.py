"""Every public route, called by each of {anonymous, owner, another user, admin}: exactly
the status the owner-or-admin rules promise, and another user's object answered as if it
did not exist."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .world import PASSWORD, ROLES, World

TIMED = {"type": "timed", "payload": {"duration_seconds": 1}}
HOURLY = {"name": "hourly", **TIMED, "interval_seconds": 3600}

# (method, path, body, statuses for anonymous, owner, other, admin). Paths name the owner's
# objects: {owner_id}, {queued}, {failed}, {completed} (see conftest.world).
MATRIX: list[tuple[str, str, Any, tuple[int, int, int, int]]] = [
    ("POST", "/api/users", {"username": "newcomer", "email": "new@example.com",
                            "password": "a long password"}, (201, 201, 201, 201)),
    ("GET", "/api/users", None, (401, 200, 200, 200)),
    ("GET", "/api/users/me", None, (401, 200, 200, 200)),
    ("GET", "/api/users/{owner_id}", None, (401, 200, 200, 200)),
    ("PATCH", "/api/users/{owner_id}", {"username": "renamed"}, (401, 200, 403, 200)),
    ("DELETE", "/api/users/{owner_id}", None, (401, 204, 403, 204)),
    ("POST", "/api/auth/login", {"username": "owner", "password": PASSWORD},
     (200, 200, 200, 200)),
    # Only a refresh token refreshes: an access token is refused like none at all.
    ("POST", "/api/auth/refresh", None, (401, 401, 401, 401)),
    ("POST", "/api/auth/logout", None, (401, 204, 204, 204)),
    ("GET", "/api/jobs", None, (401, 200, 200, 200)),
    ("POST", "/api/jobs", TIMED, (401, 201, 201, 201)),
    ("POST", "/api/jobs/batch", {"jobs": [TIMED]}, (401, 201, 201, 201)),
    ("GET", "/api/jobs/status/queued", None, (401, 200, 200, 200)),
    ("GET", "/api/jobs/{queued}", None, (401, 200, 404, 200)),
    ("POST", "/api/jobs/{queued}/cancel", None, (401, 200, 404, 200)),
    ("POST", "/api/jobs/{failed}/retry", None, (401, 202, 404, 202)),
    ("DELETE", "/api/jobs/{completed}", None, (401, 204, 404, 204)),
    ("GET", "/api/jobs/{completed}/result", None, (401, 200, 404, 200)),
    ("GET", "/api/jobs/{queued}/events", None, (401, 200, 404, 200)),
    ("GET", "/api/queue", None, (401, 200, 200, 200)),
    ("POST", "/api/events/token", None, (401, 200, 200, 200)),
    ("GET", "/api/events", None, (401, 200, 200, 200)),
    ("GET", "/api/schedules", None, (401, 200, 200, 200)),
    ("POST", "/api/schedules", HOURLY, (401, 201, 201, 201)),
    ("GET", "/api/schedules/{schedule}", None, (401, 200, 404, 200)),
    ("PATCH", "/api/schedules/{schedule}", {"name": "renamed"}, (401, 200, 404, 200)),
    ("POST", "/api/schedules/{schedule}/run", None, (401, 201, 404, 201)),
    ("DELETE", "/api/schedules/{schedule}", None, (401, 204, 404, 204)),
    # Admin-only figures and bulk actions (the dashboard's operator view); the filters keep
    # the bulk calls off the world's own jobs.
    ("GET", "/api/admin/stats", None, (401, 403, 403, 200)),
    ("GET", "/api/admin/tiers", None, (401, 403, 403, 200)),
    ("POST", "/api/admin/jobs/retry", {"type": "email"}, (401, 403, 403, 200)),
    ("POST", "/api/admin/jobs/cancel", {"type": "email"}, (401, 403, 403, 200)),
]  # fmt: skip

CASES = [
    pytest.param(method, path, body, role, statuses[index], id=f"{method} {path} as {role}")
    for method, path, body, statuses in MATRIX
    for index, role in enumerate(ROLES)
]

UNLISTED = ("/docs/", "/healthz", "/readyz", "/metrics", "/static/")
"""Routes outside the matrix: open by design, and not behind the gateway's /api."""

OTHERS_OBJECTS = [(m, p, b) for m, p, b, statuses in MATRIX if statuses[2] == 404]
"""The rows where another user's object must look missing."""


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_route_answers_each_caller_as_the_rules_say(
    world: World, method: str, path: str, body: Any, role: str, expected: int
) -> None:
    response = world.call(role, method, path, body)
    try:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
    finally:
        response.close()  # the event stream stays open until closed


def _rule_names(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(UNLISTED):
            continue
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    return found


def _as_rule(path: str) -> str:
    return (
        path.replace("{owner_id}", "<int(max=2147483647):user_id>")
        .replace("{queued}", "<job_id:job_id>")
        .replace("{failed}", "<job_id:job_id>")
        .replace("{completed}", "<job_id:job_id>")
        .replace("/status/queued", "/status/<string:status>")
        .replace("{schedule}", "<string:schedule_id>")
    )


def test_the_matrix_covers_every_route(apps: tuple[Flask, Flask]) -> None:
    routes = set().union(*(_rule_names(app) for app in apps))
    assert routes == {(method, _as_rule(path)) for method, path, _, _ in MATRIX}


@pytest.mark.parametrize(("method", "path", "body"), OTHERS_OBJECTS)
def test_another_users_object_looks_exactly_like_a_missing_one(
    world: World, method: str, path: str, body: Any
) -> None:
    theirs = world.call("other", method, path, body)
    missing = world.call("other", method, path.replace(path.split("/")[3], "{missing}"), body)
    assert theirs.status_code == missing.status_code == 404
    assert _without_instance(theirs.get_json()) == _without_instance(missing.get_json())


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem document less what names the request itself."""
    return {k: v for k, v in problem.items() if k not in {"instance", "request_id"}}


def test_another_users_email_is_hidden(world: World) -> None:
    seen = {role: world.call(role, "GET", "/api/users/{owner_id}").get_json() for role in ROLES[1:]}
    assert seen["owner"]["email"] == seen["admin"]["email"] == "owner@example.com"
    assert "email" not in seen["other"]


def test_the_owners_objects_are_unchanged_after_the_other_users_attempts(world: World) -> None:
    for method, path, body, _ in MATRIX:
        if "{" in path:
            world.call("other", method, path, body).close()
    assert world.call("owner", "GET", "/api/users/{owner_id}").get_json()["username"] == "owner"
    states = {name: world.call("owner", "GET", f"/api/jobs/{{{name}}}").get_json()["status"]
              for name in ("queued", "failed", "completed")}  # fmt: skip
    assert states == {"queued": "queued", "failed": "failed", "completed": "completed"}
    assert world.call("owner", "GET", "/api/schedules/{schedule}").get_json()["name"] == "hourly"
    result = world.call("owner", "GET", "/api/jobs/{completed}/result")
    assert (result.status_code, result.get_data()) == (200, b"id,status\n")
    result.close()
