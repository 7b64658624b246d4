"""Fields a client may not set: `role`, `tier`, `user_id`, `status`, `attempts`. Each is
refused or ignored, and what is stored is what the server decides."""

from __future__ import annotations

from typing import Any

import pytest

from .world import PASSWORD, World


@pytest.mark.parametrize("field", [{"role": "admin"}, {"tier": "enterprise"}])
def test_sign_up_cannot_choose_its_privileges(world: World, field: dict[str, Any]) -> None:
    body = {"username": "climber", "email": "climber@example.com", "password": PASSWORD}
    response = world.users.post("/api/users", json={**body, **field})
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["errors"]) == set(field)
    login = {"username": "climber", "password": PASSWORD}
    assert world.users.post("/api/auth/login", json=login).status_code == 401  # nobody made


@pytest.mark.parametrize("field", [{"role": "admin"}, {"tier": "enterprise"}])
def test_a_user_cannot_raise_their_own_privileges(world: World, field: dict[str, Any]) -> None:
    response = world.call("owner", "PATCH", "/api/users/{owner_id}", field)
    assert response.status_code == 403, response.get_json()
    me = world.call("owner", "GET", "/api/users/me").get_json()
    assert (me["role"], me["tier"]) == ("user", "free")


@pytest.mark.parametrize(
    "field",
    [{"user_id": "{other_id}"}, {"status": "completed"}, {"attempts": 5}, {"result": {"x": 1}}],
    ids=["user_id", "status", "attempts", "result"],
)
def test_a_submission_cannot_set_server_fields(world: World, field: dict[str, Any]) -> None:
    name, value = next(iter(field.items()))
    if value == "{other_id}":
        value = world.ids["other_id"]
    body = {"type": "timed", "payload": {"duration_seconds": 1}, name: value}
    response = world.call("owner", "POST", "/api/jobs", body)
    assert response.status_code == 422, response.get_json()
    assert name in response.get_json()["errors"]
    listed = world.call("other", "GET", "/api/jobs").get_json()
    assert listed["total"] == 0  # nothing landed in the other user's name
