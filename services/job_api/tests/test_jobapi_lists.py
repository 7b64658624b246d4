"""Job lists: filters, paging, sorting, and the per-status route."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import finish, timed

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def three_jobs(app: Flask, client: FlaskClient, auth: Auth) -> list[str]:
    ids = [
        client.post("/api/jobs", json=timed(n), headers=auth(1)).get_json()["id"] for n in range(3)
    ]
    finish(app, ids[0], "completed")
    return ids


def test_list_is_paginated_in_an_envelope(
    client: FlaskClient, auth: Auth, three_jobs: list[str]
) -> None:
    page = client.get("/api/jobs?per_page=2&page=2&sort=created_at", headers=auth(1)).get_json()
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (2, 2, 3, 2)
    assert [job["id"] for job in page["items"]] == [three_jobs[2]]


def test_default_sort_is_newest_first(
    client: FlaskClient, auth: Auth, three_jobs: list[str]
) -> None:
    items = client.get("/api/jobs", headers=auth(1)).get_json()["items"]
    assert [job["id"] for job in items] == list(reversed(three_jobs))


def test_filter_by_status(client: FlaskClient, auth: Auth, three_jobs: list[str]) -> None:
    items = client.get("/api/jobs?status=completed", headers=auth(1)).get_json()["items"]
    assert [job["id"] for job in items] == [three_jobs[0]]


def test_status_route_lists_one_status(
    client: FlaskClient, auth: Auth, three_jobs: list[str]
) -> None:
    page = client.get("/api/jobs/status/queued", headers=auth(1)).get_json()
    assert {job["id"] for job in page["items"]} == set(three_jobs[1:])
    assert [job["queue_position"] for job in page["items"]] == [2, 1]


def test_filter_by_type(client: FlaskClient, auth: Auth, three_jobs: list[str]) -> None:
    assert client.get("/api/jobs?type=email", headers=auth(1)).get_json()["total"] == 0
    assert client.get("/api/jobs?type=timed", headers=auth(1)).get_json()["total"] == 3


# A page number past any SQL integer is as empty as page 50, not a driver overflow.
@pytest.mark.parametrize("number", [50, 10**20])
def test_page_past_the_end_is_empty(
    client: FlaskClient, auth: Auth, three_jobs: list[str], number: int
) -> None:
    page = client.get(f"/api/jobs?page={number}", headers=auth(1)).get_json()
    assert page["items"] == [] and page["total"] == 3


TOO_MANY_IDS = ",".join(map(str, range(1, 102)))


@pytest.mark.parametrize(
    "query", ["sort=payload", "sort=-nope", "per_page=0", "per_page=101", "page=0", "status=lost",
              "type=shell", "page=x", "user_id=0", f"user_id={2**31}", f"user_id={10**20}",
              "user_ids=", "user_ids=0", "user_ids=1,,2", "user_ids=a", "user_ids=-1",
              "user_ids=01", f"user_ids=1,{2**31}", f"user_ids={TOO_MANY_IDS}"],
)  # fmt: skip
@pytest.mark.parametrize("role", ["user", "admin"])
def test_bad_list_arguments_are_422(client: FlaskClient, auth: Auth, query: str, role: str) -> None:
    response = client.get(f"/api/jobs?{query}", headers=auth(1, role=role))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_admin_filter_by_the_largest_user_id_is_an_empty_page(
    client: FlaskClient, auth: Auth, three_jobs: list[str]
) -> None:
    page = client.get(f"/api/jobs?user_id={2**31 - 1}", headers=auth(9, role="admin"))
    assert page.status_code == 200
    assert page.get_json()["total"] == 0


def test_unknown_status_route_is_404(client: FlaskClient, auth: Auth) -> None:
    assert client.get("/api/jobs/status/lost", headers=auth(1)).status_code == 404


@pytest.fixture
def two_users_jobs(client: FlaskClient, auth: Auth) -> dict[int, list[str]]:
    """Jobs of users 1 (three) and 2 (two), oldest first."""
    return {
        user: [
            client.post("/api/jobs", json=timed(n), headers=auth(user)).get_json()["id"]
            for n in range(count)
        ]
        for user, count in ((1, 3), (2, 2))
    }


def test_admin_lists_a_page_of_each_named_user(
    client: FlaskClient, auth: Auth, two_users_jobs: dict[int, list[str]]
) -> None:
    query = "user_ids=2,1,3&per_page=2&page=1&sort=created_at"
    page = client.get(f"/api/jobs?{query}", headers=auth(9, role="admin")).get_json()
    assert [job["id"] for job in page["items"]] == two_users_jobs[1][:2] + two_users_jobs[2]
    assert page["totals"] == {"1": 3, "2": 2, "3": 0}
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (1, 2, 5, 2)


def test_each_named_users_second_page(
    client: FlaskClient, auth: Auth, two_users_jobs: dict[int, list[str]]
) -> None:
    query = "user_ids=1,2&per_page=2&page=2&sort=created_at"
    page = client.get(f"/api/jobs?{query}", headers=auth(9, role="admin")).get_json()
    assert [job["id"] for job in page["items"]] == two_users_jobs[1][2:]


def test_a_user_naming_others_gets_only_their_own_jobs(
    client: FlaskClient, auth: Auth, two_users_jobs: dict[int, list[str]]
) -> None:
    page = client.get("/api/jobs?user_ids=1,2&sort=created_at", headers=auth(2)).get_json()
    assert [job["id"] for job in page["items"]] == two_users_jobs[2]
    assert page["totals"] == {"1": 0, "2": 2}
