"""Limits refuse a document before any resolver runs (so before any REST call): a 400."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from graph_api import create_app


def deep(levels: int) -> str:
    """``me { jobs { items { owner { jobs ... } } } }`` nested ``levels`` deep."""
    inner = "id"
    for _ in range(levels):
        inner = f"jobs {{ items {{ owner {{ {inner} }} }} }}"
    return f"{{ me {{ {inner} }} }}"


def test_too_deep_is_refused_before_any_call(
    gql: Any, alice: dict[str, Any], transport: Any
) -> None:
    response = gql(deep(4), token=alice["token"])
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.get_json()["errors"][0]["message"]
    assert transport.calls == []


def test_too_costly_is_refused_before_any_call(
    gql: Any, alice: dict[str, Any], transport: Any
) -> None:
    query = "{ users(perPage: 100) { items { jobs(perPage: 100) { items { id type status } } } } }"
    response = gql(query, token=alice["token"])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert transport.calls == []


@pytest.mark.parametrize("per_page", [0, 101, 10**6])
def test_per_page_out_of_range_is_refused(
    gql: Any, alice: dict[str, Any], transport: Any, per_page: int
) -> None:
    response = gql(f"{{ jobs(perPage: {per_page}) {{ total }} }}", token=alice["token"])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert transport.calls == []


def test_too_many_aliases_are_refused(gql: Any, alice: dict[str, Any], transport: Any) -> None:
    query = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(31)) + " }"
    assert gql(query, token=alice["token"]).status_code == 400
    assert transport.calls == []


@pytest.mark.parametrize("query", ["{ me { id ", "{ nope }", "{ me { password } }", ""])
def test_unreadable_or_invalid_document_is_400(gql: Any, query: str) -> None:
    response = gql(query)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_body_that_is_not_json_is_400(client: Any) -> None:
    response = client.post("/graphql", data="{", content_type="application/json")
    assert response.status_code == 400


def test_introspection_is_on_by_default(gql: Any) -> None:
    body = gql("{ __schema { queryType { name } } }").get_json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.fixture
def closed(app: Flask) -> Flask:
    return create_app({**app.config, "GRAPHQL_INTROSPECTION": False})


def test_introspection_off_refuses_schema_queries(closed: Flask) -> None:
    response = closed.test_client().post(
        "/graphql", json={"query": "{ __schema { types { name } } }"}
    )
    assert response.status_code == 400


def test_graphiql_is_served_locally(client: Any) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.get_data(as_text=True).lower()


def test_graphiql_is_off_with_introspection(closed: Flask) -> None:
    response = closed.test_client().get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code != 200


def test_introspection_setting_is_read_from_the_environment(monkeypatch: Any) -> None:
    from graph_api import settings

    assert settings.load({"GRAPHQL_INTROSPECTION": "0"})["GRAPHQL_INTROSPECTION"] is False
