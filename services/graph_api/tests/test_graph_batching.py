"""Nested lists cost a bounded number of REST calls, counted at the graph's HTTP client."""

from __future__ import annotations

from typing import Any


def test_job_owners_are_read_in_one_call(gql: Any, api: Any, transport: Any) -> None:
    root = api.admin()
    owners = [api.signup() for _ in range(3)]
    for owner in owners:
        for _ in range(2):
            api.submit(owner["token"])
    body = gql("{ jobs(perPage: 100) { items { owner { username } } } }", token=root["token"])
    items = body.get_json()["data"]["jobs"]["items"]
    assert sorted({item["owner"]["username"] for item in items}) == sorted(
        owner["username"] for owner in owners
    )
    assert transport.calls == ["GET /api/jobs", "GET /api/users"]


def test_user_jobs_cost_one_call_per_user_listed(gql: Any, api: Any, transport: Any) -> None:
    root = api.admin()
    for _ in range(3):
        api.submit(api.signup()["token"])
    body = gql("{ users(perPage: 5) { items { jobs { items { id } } } } }", token=root["token"])
    users = body.get_json()["data"]["users"]["items"]
    assert transport.calls.count("GET /api/users") == 1
    assert transport.calls.count("GET /api/jobs") == len(users) <= 5
