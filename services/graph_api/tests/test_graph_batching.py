"""Nested lists cost the same number of REST calls whatever the page size, counted at the
graph's HTTP client against the real services."""

from __future__ import annotations

from typing import Any

PAGE_SIZES = (2, 6)
"""A small and a larger page: the larger one lists more users, never more calls."""


def at_each_size(
    gql: Any, transport: Any, token: str, query: str
) -> tuple[list[list[str]], list[Any]]:
    """Run ``query`` (``{size}`` in it) at each of ``PAGE_SIZES``: the REST calls each made,
    and each answer's data."""
    calls, answers = [], []
    for size in PAGE_SIZES:
        transport.calls.clear()
        answers.append(gql(query.replace("{size}", str(size)), token=token).get_json()["data"])
        calls.append(list(transport.calls))
    return calls, answers


def test_job_owners_cost_the_same_calls_at_any_page_size(
    gql: Any, api: Any, root: dict[str, Any], transport: Any
) -> None:
    owners = [api.signup() for _ in range(max(PAGE_SIZES))]
    for owner in owners:
        api.submit(owner["token"])
    query = "{ jobs(perPage: {size}) { items { owner { username } } } }"
    calls, answers = at_each_size(gql, transport, root["token"], query)
    assert calls == [["GET /api/jobs", "GET /api/users"]] * len(PAGE_SIZES)
    listed = [{item["owner"]["username"] for item in data["jobs"]["items"]} for data in answers]
    assert [len(names) for names in listed] == list(PAGE_SIZES)  # newest jobs: one owner each
    assert listed[-1] == {owner["username"] for owner in owners}


def test_user_jobs_cost_the_same_calls_at_any_page_size(
    gql: Any, api: Any, root: dict[str, Any], transport: Any
) -> None:
    jobs = {}
    for _ in range(max(PAGE_SIZES)):
        user = api.signup()
        jobs[user["id"]] = [api.submit(user["token"])["id"]]
    query = '{ users(perPage: {size}, sort: "-id") { items { id jobs { items { id } } } } }'
    calls, answers = at_each_size(gql, transport, root["token"], query)
    assert calls == [["GET /api/users", "GET /api/jobs"]] * len(PAGE_SIZES)
    listed = [
        {
            int(user["id"]): [job["id"] for job in user["jobs"]["items"]]
            for user in data["users"]["items"]
        }
        for data in answers
    ]
    assert [len(users) for users in listed] == list(PAGE_SIZES)
    assert listed[-1] == jobs  # the newest users, each with their own job


def test_each_users_jobs_are_paged_apart(
    gql: Any, api: Any, root: dict[str, Any], transport: Any
) -> None:
    """``jobs(page, perPage)`` under each user is that user's page, as REST's ``user_id`` list."""
    busy, idle = api.signup(), api.signup()
    for _ in range(3):
        api.submit(busy["token"])
    query = (
        'query { users(perPage: 2, sort: "-id") { items { id '
        "jobs(perPage: 2, page: 2) { page perPage total pages items { id } } } } }"
    )
    users = gql(query, token=root["token"]).get_json()["data"]["users"]["items"]
    pages = {int(user["id"]): user["jobs"] for user in users}
    rest = api.call(
        "GET", f"/api/jobs?user_id={busy['id']}&per_page=2&page=2", root["token"]
    ).json()
    assert pages[busy["id"]] == {
        "page": 2,
        "perPage": 2,
        "total": 3,
        "pages": 2,
        "items": [{"id": job["id"]} for job in rest["items"]],
    }
    assert pages[idle["id"]] == {"page": 2, "perPage": 2, "total": 0, "pages": 0, "items": []}
