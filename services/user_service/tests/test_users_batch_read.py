"""``GET /api/users?ids=``: many users in one request, with the list's paging and visibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Session = Callable[..., tuple[dict[str, Any], dict[str, str]]]


@pytest.fixture
def named(user_session: Session, signup: Callable[..., Any]) -> tuple[dict[str, int], Any]:
    """Four users by name, and the headers of the first (``eve``)."""
    eve, headers = user_session("eve")
    ids = {"eve": eve["id"]}
    ids.update({name: signup(name)["id"] for name in ("dan", "bob", "amy")})
    return ids, headers


def test_ids_return_only_those_users(client: FlaskClient, named: Any) -> None:
    ids, headers = named
    query = f"ids={ids['amy']},{ids['dan']},{ids['eve']}&sort=username"
    body = client.get(f"/api/users?{query}", headers=headers).get_json()
    assert [user["username"] for user in body["items"]] == ["amy", "dan", "eve"]
    assert (body["total"], body["pages"]) == (3, 1)


def test_ids_hide_other_users_emails(client: FlaskClient, named: Any) -> None:
    ids, headers = named
    body = client.get(f"/api/users?ids={ids['eve']},{ids['bob']}", headers=headers).get_json()
    shown = {user["username"]: "email" in user for user in body["items"]}
    assert shown == {"eve": True, "bob": False}


def test_unknown_ids_are_left_out(client: FlaskClient, named: Any) -> None:
    ids, headers = named
    body = client.get(f"/api/users?ids={ids['bob']},999999", headers=headers).get_json()
    assert [user["username"] for user in body["items"]] == ["bob"]


def test_ids_need_a_token(client: FlaskClient, named: Any) -> None:
    ids, _ = named
    assert client.get(f"/api/users?ids={ids['bob']}").status_code == 401


@pytest.mark.parametrize(
    "ids", ["", "x", "1,,2", "-1", "0", "1.5", str(2**31), ",".join(map(str, range(1, 102)))]
)
def test_bad_ids_are_422(client: FlaskClient, named: Any, ids: str) -> None:
    _, headers = named
    response = client.get(f"/api/users?ids={ids}", headers=headers)
    assert response.status_code == 422
    assert "ids" in response.get_json()["errors"]
