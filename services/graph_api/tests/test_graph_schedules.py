"""``schedules``: the caller's schedules, as job-api lists them."""

from __future__ import annotations

from typing import Any


def test_schedules_page_agrees_with_rest(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    body = {
        "name": "tick",
        "type": "timed",
        "payload": {"duration_seconds": 0},
        "interval_seconds": 3600,
    }
    for owner in (alice, alice, bob):
        created = api.call("POST", "/api/schedules", owner["token"], json=body)
        assert created.status_code == 201, created.text
    rest = api.call("GET", "/api/schedules?per_page=1&page=2", alice["token"]).json()
    query = (
        "{ schedules(perPage: 1, page: 2) { items { id name type intervalSeconds enabled "
        "nextRunAt } page perPage total pages } }"
    )
    page = gql(query, token=alice["token"]).get_json()["data"]["schedules"]
    assert [item["id"] for item in page["items"]] == [item["id"] for item in rest["items"]]
    assert (page["total"], page["pages"], page["perPage"]) == (2, 2, 1)
    assert page["items"][0]["intervalSeconds"] == 3600
