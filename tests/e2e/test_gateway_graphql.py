"""``/graphql`` end to end through each gateway (nginx, and the Python one without it), on
the stack ``make run`` starts: users signed up over REST, read back over GraphQL."""

from __future__ import annotations

from typing import Any

import pytest
from local_stack import LocalStack, Reply, http, poll


def gql(stack: LocalStack, query: str, token: str | None = None) -> Reply:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http("POST", f"{stack.url}/graphql", {"query": query}, headers=headers)


@pytest.fixture(scope="module")
def graph(stack: LocalStack) -> LocalStack:
    """The stack once graph-api answers behind its gateway (it starts beside the others)."""
    poll(lambda: gql(stack, "{ __typename }").status == 200, 60, what="/graphql to answer")
    return stack


def test_me_is_the_signed_in_user(graph: LocalStack, account: dict[str, Any], token: str) -> None:
    reply = gql(graph, "{ me { id username email } }", token)
    assert reply.status == 200, reply.body
    user = account["user"]
    assert reply.json() == {
        "data": {
            "me": {"id": str(user["id"]), "username": user["username"], "email": user["email"]}
        }
    }


def test_jobs_come_with_their_owner(graph: LocalStack, account: dict[str, Any], token: str) -> None:
    job = {"type": "timed", "payload": {"duration_seconds": 0}, "delay_seconds": 600}
    auth = {"Authorization": f"Bearer {token}"}
    created = http("POST", f"{graph.url}/api/jobs", job, headers=auth)
    assert created.status == 201, created.body
    reply = gql(graph, "{ jobs(perPage: 100) { items { id owner { username } } } }", token)
    assert reply.status == 200, reply.body
    items = reply.json()["data"]["jobs"]["items"]
    owner = {"username": account["username"]}
    assert {"id": created.json()["id"], "owner": owner} in items


def test_no_token_is_unauthenticated(graph: LocalStack) -> None:
    reply = gql(graph, "{ me { id } }")
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
