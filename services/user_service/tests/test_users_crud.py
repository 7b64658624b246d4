"""``/api/users`` reads and changes: pagination, who sees and changes what, deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from users_helpers import PASSWORD, bearer, close_app

from conveyor_core.fair import Dispatcher, queue_name
from conveyor_web.auth import USER_TOKENS_VALID_AFTER_KEY
from user_service import create_app

Session = Callable[..., tuple[dict[str, Any], dict[str, str]]]


@pytest.fixture
def people(user_session: Session) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """An owner, another user and an admin, each signed in."""
    return {name: user_session(name, admin=name == "root") for name in ("owner", "other", "root")}


def listing(client: FlaskClient, headers: dict[str, str], query: str) -> Any:
    return client.get(f"/api/users?{query}", headers=headers)


# --- list ----------------------------------------------------------------------------------


@pytest.fixture
def five(user_session: Session, signup: Callable[..., Any]) -> dict[str, str]:
    _, headers = user_session("eve")
    for name in ("dan", "bob", "carl", "amy"):
        signup(name)
    return headers


def test_list_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/api/users").status_code == 401


def test_list_defaults_to_id_order_with_envelope(client: FlaskClient, five: Any) -> None:
    body = listing(client, five, "").get_json()
    assert [u["username"] for u in body["items"]] == ["eve", "dan", "bob", "carl", "amy"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 5, 1)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("username", ["amy", "bob", "carl", "dan", "eve"]),
        ("-username", ["eve", "dan", "carl", "bob", "amy"]),
        ("-id", ["amy", "carl", "bob", "dan", "eve"]),
        ("created_at", ["eve", "dan", "bob", "carl", "amy"]),
        ("-created_at", ["amy", "carl", "bob", "dan", "eve"]),
    ],
)
def test_list_sorts(client: FlaskClient, five: Any, sort: str, expected: list[str]) -> None:
    body = listing(client, five, f"sort={sort}").get_json()
    assert [u["username"] for u in body["items"]] == expected


def test_list_last_page_is_partial(client: FlaskClient, five: Any) -> None:
    body = listing(client, five, "per_page=2&page=3&sort=username").get_json()
    assert [u["username"] for u in body["items"]] == ["eve"]
    assert (body["total"], body["pages"]) == (5, 3)


def test_list_page_past_the_end_is_empty(client: FlaskClient, five: Any) -> None:
    response = listing(client, five, "per_page=2&page=4")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize("page", [10**6, 10**13, 10**20])
def test_list_huge_page_is_empty(client: FlaskClient, five: Any, page: int) -> None:
    response = listing(client, five, f"per_page=100&page={page}")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    "query",
    ["sort=email", "sort=password_hash", "sort=", "per_page=101", "per_page=0", "page=0",
     "page=-1", "page=x", "per_page=1.5"],
)  # fmt: skip
def test_list_bad_arguments_are_422(client: FlaskClient, five: Any, query: str) -> None:
    response = listing(client, five, query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_list_hides_other_emails_from_users(client: FlaskClient, five: Any) -> None:
    items = listing(client, five, "").get_json()["items"]
    assert [("email" in u) for u in items] == [True, False, False, False, False]


def test_list_shows_every_email_to_admins(client: FlaskClient, people: Any) -> None:
    items = listing(client, people["root"][1], "").get_json()["items"]
    assert all("email" in u for u in items)


# --- one user ------------------------------------------------------------------------------


def test_me_is_the_caller_with_email(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    assert client.get("/api/users/me", headers=headers).get_json() == user


@pytest.mark.parametrize(
    ("caller", "sees_email"), [("owner", True), ("other", False), ("root", True)]
)
def test_get_user_matrix(client: FlaskClient, people: Any, caller: str, sees_email: bool) -> None:
    owner = people["owner"][0]
    response = client.get(f"/api/users/{owner['id']}", headers=people[caller][1])
    assert response.status_code == 200
    assert ("email" in response.get_json()) is sees_email


@pytest.mark.parametrize(("caller", "status"), [("owner", 200), ("other", 403), ("root", 200)])
def test_patch_user_matrix(client: FlaskClient, people: Any, caller: str, status: int) -> None:
    owner = people["owner"][0]
    url = f"/api/users/{owner['id']}"
    response = client.patch(url, json={"username": "renamed"}, headers=people[caller][1])
    assert response.status_code == status
    expected = "renamed" if status == 200 else "owner"
    shown = client.get(url, headers=people["root"][1]).get_json()["username"]
    assert shown == expected


@pytest.mark.parametrize(("caller", "status"), [("owner", 204), ("other", 403), ("root", 204)])
def test_delete_user_matrix(client: FlaskClient, people: Any, caller: str, status: int) -> None:
    url = f"/api/users/{people['owner'][0]['id']}"
    assert client.delete(url, headers=people[caller][1]).status_code == status
    after = client.get(url, headers=people["root"][1]).status_code
    assert after == (404 if status == 204 else 200)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("user_id", ["999999", "2147483648", "100000000000000000000", "0"])
def test_missing_user_is_404(client: FlaskClient, people: Any, method: str, user_id: str) -> None:
    response = getattr(client, method)(
        f"/api/users/{user_id}", json={"username": "x-y-z"}, headers=people["root"][1]
    )
    assert response.status_code == 404


@pytest.mark.parametrize("field", [{"role": "admin"}, {"tier": "enterprise"}])
def test_non_admin_changing_role_or_tier_is_403(
    client: FlaskClient, people: Any, field: dict[str, str]
) -> None:
    user, headers = people["owner"]
    response = client.patch(f"/api/users/{user['id']}", json=field, headers=headers)
    assert response.status_code == 403
    assert client.get("/api/users/me", headers=headers).get_json()["role"] == "user"


def test_admin_changes_role_and_tier(client: FlaskClient, people: Any) -> None:
    user = people["owner"][0]
    response = client.patch(
        f"/api/users/{user['id']}", json={"role": "admin", "tier": "pro"},
        headers=people["root"][1],
    )  # fmt: skip
    assert (response.get_json()["role"], response.get_json()["tier"]) == ("admin", "pro")


def test_signup_tells_the_dispatcher_the_tier(app: Flask, people: Any) -> None:
    user = people["owner"][0]
    redis = app.extensions["conveyor_redis"]
    assert redis.hget(f"conveyor:fair:user:{user['id']}", "tier") == b"free"


def test_tier_change_reaches_the_dispatcher(app: Flask, client: FlaskClient, people: Any) -> None:
    user = people["owner"][0]
    client.patch(f"/api/users/{user['id']}", json={"tier": "pro"}, headers=people["root"][1])
    redis = app.extensions["conveyor_redis"]
    assert redis.hget(f"conveyor:fair:user:{user['id']}", "tier") == b"pro"


def test_role_change_ends_the_users_sessions(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    client.patch(f"/api/users/{user['id']}", json={"role": "admin"}, headers=people["root"][1])
    assert client.get("/api/users/me", headers=headers).status_code == 401


def test_tier_change_keeps_the_users_sessions(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    client.patch(f"/api/users/{user['id']}", json={"tier": "pro"}, headers=people["root"][1])
    response = client.get("/api/users/me", headers=headers)
    assert (response.status_code, response.get_json()["tier"]) == (200, "pro")


def test_tier_change_weighs_the_users_next_dispatch(
    app: Flask, client: FlaskClient, people: Any
) -> None:
    user = people["owner"][0]
    redis = app.extensions["conveyor_redis"]
    dispatcher = Dispatcher(redis, {"free": 1, "pro": 3, "enterprise": 9})
    redis.rpush(f"{Queue.redis_queue_namespace_prefix}{queue_name(user['id'], 'normal')}", "j1")
    dispatcher.activate(user["id"])  # a job waits, queued while the user was on "free"
    client.patch(f"/api/users/{user['id']}", json={"tier": "pro"}, headers=people["root"][1])
    before = float(redis.hget(f"conveyor:fair:user:{user['id']}", "pass") or 0)
    pick = dispatcher.pick()
    assert pick is not None and pick.user_id == str(user["id"])
    after = float(redis.hget(f"conveyor:fair:user:{user['id']}", "pass"))
    assert after - before == pytest.approx(pick.charged / 3)  # pro's weight, not free's 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "x"},
        {"email": "nope"},
        {"role": "superuser"},
        {"tier": "gold"},
        {"password": "short"},
        {"password": "owner", "current_password": PASSWORD},
        {"password": "new password here"},
        {"id": 5},
        {"password_hash": "x"},
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(
    client: FlaskClient, people: Any, body: dict[str, Any]
) -> None:
    user, headers = people["owner"]
    response = client.patch(f"/api/users/{user['id']}", json=body, headers=headers)
    assert response.status_code == 422
    assert client.get("/api/users/me", headers=headers).get_json() == user


def test_patch_password_equal_to_username_is_422(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    body = {"username": "ownerowner", "password": "ownerowner", "current_password": PASSWORD}
    response = client.patch(f"/api/users/{user['id']}", json=body, headers=headers)
    assert response.status_code == 422


def test_password_change_needs_the_current_password(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    body = {"password": "a new password", "current_password": "wrong password"}
    response = client.patch(f"/api/users/{user['id']}", json=body, headers=headers)
    assert response.status_code == 403
    login = {"username": "owner", "password": PASSWORD}
    assert client.post("/api/auth/login", json=login).status_code == 200


def test_password_change_works_and_keeps_only_this_session(
    client: FlaskClient, people: Any, login: Callable[..., Any]
) -> None:
    user, headers = people["owner"]
    elsewhere = bearer(login("owner")["access_token"])
    body = {"password": "a new password", "current_password": PASSWORD}
    assert client.patch(f"/api/users/{user['id']}", json=body, headers=headers).status_code == 200
    assert client.get("/api/users/me", headers=headers).status_code == 200
    assert client.get("/api/users/me", headers=elsewhere).status_code == 401
    login("owner", "a new password")


def test_admin_sets_a_password_without_the_current_one(
    client: FlaskClient, people: Any, login: Callable[..., Any]
) -> None:
    user = people["owner"][0]
    body = {"password": "reset by admin"}
    url = f"/api/users/{user['id']}"
    assert client.patch(url, json=body, headers=people["root"][1]).status_code == 200
    login("owner", "reset by admin")


@pytest.mark.parametrize("field", ["username", "email"])
def test_patch_to_a_taken_name_is_409(client: FlaskClient, people: Any, field: str) -> None:
    user, headers = people["owner"]
    taken = {"username": "OTHER", "email": "Other@Example.com"}[field]
    response = client.patch(f"/api/users/{user['id']}", json={field: taken}, headers=headers)
    assert response.status_code == 409


# --- deletion ------------------------------------------------------------------------------


def test_delete_revokes_the_users_tokens(app: Flask, client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    client.delete(f"/api/users/{user['id']}", headers=headers)
    assert client.get("/api/users", headers=headers).status_code == 401
    redis = app.extensions["conveyor_redis"]
    assert redis.get(USER_TOKENS_VALID_AFTER_KEY.format(user["id"])) is not None


def test_delete_calls_the_on_user_deleted_hook(
    config: dict[str, Any], signup: Callable[..., Any]
) -> None:
    deleted: list[int] = []
    app = create_app({**config, "ON_USER_DELETED": deleted.append})
    client = app.test_client()
    user = client.post(
        "/api/users", json={"username": "gone", "email": "g@example.com", "password": PASSWORD}
    ).get_json()
    token = client.post(
        "/api/auth/login", json={"username": "gone", "password": PASSWORD}
    ).get_json()["access_token"]
    assert client.delete(f"/api/users/{user['id']}", headers=bearer(token)).status_code == 204
    assert deleted == [user["id"]]
    close_app(app)


def test_delete_asks_the_workers_to_cancel_the_users_jobs(
    app: Flask, client: FlaskClient, people: Any
) -> None:
    user, headers = people["owner"]
    client.delete(f"/api/users/{user['id']}", headers=headers)
    redis = app.extensions["conveyor_redis"]
    assert redis.smembers("conveyor:jobs:deleted-users") == {str(user["id"]).encode()}


# --- cache ---------------------------------------------------------------------------------


def test_read_after_update_shows_the_update(client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    url = f"/api/users/{user['id']}"
    assert client.get(url, headers=headers).get_json()["username"] == "owner"
    client.get("/api/users", headers=headers)
    client.patch(url, json={"username": "changed"}, headers=headers)
    assert client.get(url, headers=headers).get_json()["username"] == "changed"
    assert client.get("/api/users/me", headers=headers).get_json()["username"] == "changed"
    names = [u["username"] for u in client.get("/api/users", headers=headers).json["items"]]
    assert "changed" in names and "owner" not in names


def test_reads_are_served_from_redis(app: Flask, client: FlaskClient, people: Any) -> None:
    user, headers = people["owner"]
    client.get(f"/api/users/{user['id']}", headers=headers)
    redis = app.extensions["conveyor_redis"]
    assert redis.keys("conveyor:user-service:cache:user:*")


def test_list_after_signup_shows_the_new_user(
    client: FlaskClient, people: Any, signup: Callable[..., Any]
) -> None:
    headers = people["owner"][1]
    assert client.get("/api/users", headers=headers).get_json()["total"] == 3
    signup("newcomer")
    assert client.get("/api/users", headers=headers).get_json()["total"] == 4
