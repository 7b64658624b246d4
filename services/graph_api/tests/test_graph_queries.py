"""Queries: the same data REST gives the same caller."""

from __future__ import annotations

from typing import Any

import pytest

USER_FIELDS = "id username email role tier createdAt"
JOB_FIELDS = (
    "id type status priority payload result progress { percent message } error attempts "
    "maxRetries createdAt startedAt finishedAt timeSpentSeconds queuePosition"
)


def test_me_is_the_caller(gql: Any, alice: dict[str, Any]) -> None:
    body = gql(f"{{ me {{ {USER_FIELDS} }} }}", token=alice["token"]).get_json()
    me = body["data"]["me"]
    assert (me["id"], me["username"], me["email"]) == (
        str(alice["id"]),
        alice["username"],
        alice["email"],
    )


def test_no_token_is_unauthenticated(gql: Any) -> None:
    response = gql("{ me { id } }")
    body = response.get_json()
    assert response.status_code == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_another_users_email_is_null(gql: Any, alice: dict[str, Any], bob: dict[str, Any]) -> None:
    query = "query($id: ID!) { user(id: $id) { username email } }"
    body = gql(query, {"id": bob["id"]}, token=alice["token"]).get_json()
    assert body["data"]["user"] == {"username": bob["username"], "email": None}


def test_admin_sees_another_users_email(
    gql: Any, root: dict[str, Any], bob: dict[str, Any]
) -> None:
    body = gql(
        "query($id: ID!) { user(id: $id) { email } }", {"id": bob["id"]}, token=root["token"]
    ).get_json()
    assert body["data"]["user"]["email"] == bob["email"]


@pytest.mark.parametrize("user_id", ["999999", "abc", "-1", "1" * 30])
def test_unknown_user_is_not_found(gql: Any, alice: dict[str, Any], user_id: str) -> None:
    body = gql(
        "query($id: ID!) { user(id: $id) { id } }", {"id": user_id}, token=alice["token"]
    ).get_json()
    assert body["data"]["user"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "sort", ["id", "-id", "username", "-username", "created_at", "-created_at"]
)
def test_users_page_agrees_with_rest(gql: Any, api: Any, alice: dict[str, Any], sort: str) -> None:
    for _ in range(3):
        api.signup()
    rest = api.call("GET", f"/api/users?page=2&per_page=2&sort={sort}", alice["token"]).json()
    query = (
        "query($sort: String) { users(page: 2, perPage: 2, sort: $sort) "
        "{ items { id username email } page perPage total pages } }"
    )
    page = gql(query, {"sort": sort}, token=alice["token"]).get_json()["data"]["users"]
    assert [(u["id"], u["username"], u["email"]) for u in page["items"]] == [
        (str(u["id"]), u["username"], u.get("email")) for u in rest["items"]
    ]
    assert (page["page"], page["perPage"], page["total"], page["pages"]) == (
        rest["page"],
        rest["per_page"],
        rest["total"],
        rest["pages"],
    )


def test_bad_sort_is_bad_user_input(gql: Any, alice: dict[str, Any]) -> None:
    body = gql('{ users(sort: "email") { total } }', token=alice["token"]).get_json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "sort" in body["errors"][0]["extensions"]["errors"]


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "priority", "-id"])
def test_jobs_page_agrees_with_rest(gql: Any, api: Any, alice: dict[str, Any], sort: str) -> None:
    for priority in ("low", "high", "normal"):
        api.submit(alice["token"], priority=priority)
    rest = api.call("GET", f"/api/jobs?per_page=2&page=1&sort={sort}", alice["token"]).json()
    query = (
        "query($sort: String) { jobs(perPage: 2, page: 1, sort: $sort) "
        "{ items { id priority } page perPage total pages } }"
    )
    page = gql(query, {"sort": sort}, token=alice["token"]).get_json()["data"]["jobs"]
    assert [j["id"] for j in page["items"]] == [j["id"] for j in rest["items"]]
    assert (page["total"], page["pages"]) == (rest["total"], rest["pages"])


def test_jobs_filter_by_status(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    kept = api.submit(alice["token"])
    canceled = api.submit(alice["token"])
    api.call("POST", f"/api/jobs/{canceled['id']}/cancel", alice["token"])
    body = gql("{ jobs(status: canceled) { items { id status } } }", token=alice["token"])
    assert body.get_json()["data"]["jobs"]["items"] == [
        {"id": canceled["id"], "status": "canceled"}
    ]
    assert kept["id"] not in str(body.get_json())


def test_job_agrees_with_rest(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job = api.submit(alice["token"])
    rest = api.call("GET", f"/api/jobs/{job['id']}", alice["token"]).json()
    body = gql(
        f"query($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} owner {{ username }} }} }}",
        {"id": job["id"]},
        token=alice["token"],
    ).get_json()
    got = body["data"]["job"]
    assert (got["id"], got["status"], got["payload"], got["maxRetries"], got["priority"]) == (
        rest["id"],
        rest["status"],
        rest["payload"],
        rest["max_retries"],
        rest["priority"],
    )
    assert got["owner"] == {"username": alice["username"]}


def test_another_users_job_is_not_found(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    job = api.submit(bob["token"])
    body = gql(
        "query($id: ID!) { job(id: $id) { id } }", {"id": job["id"]}, token=alice["token"]
    ).get_json()
    assert body["data"]["job"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("job_id", ["../users/1", "x?y=1", "%2e%2e", "\u0000"])
def test_odd_job_ids_are_not_found(gql: Any, alice: dict[str, Any], job_id: str) -> None:
    body = gql(
        "query($id: ID!) { job(id: $id) { id } }", {"id": job_id}, token=alice["token"]
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_user_jobs_are_the_users_own(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job = api.submit(alice["token"])
    body = gql("{ me { jobs { items { id } total } } }", token=alice["token"]).get_json()
    assert body["data"]["me"]["jobs"] == {"items": [{"id": job["id"]}], "total": 1}


def test_another_users_jobs_are_hidden(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    api.submit(bob["token"])
    body = gql(
        "query($id: ID!) { user(id: $id) { jobs { total } } }",
        {"id": bob["id"]},
        token=alice["token"],
    ).get_json()
    assert body["data"]["user"]["jobs"]["total"] == 0


def test_request_id_is_echoed(gql: Any, alice: dict[str, Any], app: Any) -> None:
    response = gql("{ me { id } }", token=alice["token"], **{"X-Request-ID": "graph-req-1"})
    assert response.headers["X-Request-ID"] == "graph-req-1"
