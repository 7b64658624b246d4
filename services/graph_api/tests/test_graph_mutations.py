"""Mutations: REST's rules, REST's answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from conveyor_testing.sign_up import INVALID_SIGN_UPS

CREATE = "mutation($input: CreateUserInput!) { createUser(input: $input) { id username email } }"
UPDATE = (
    "mutation($id: ID!, $input: UpdateUserInput!) "
    "{ updateUser(id: $id, input: $input) { id username } }"
)
SUBMIT = (
    "mutation($input: SubmitJobInput!) { submitJob(input: $input) "
    "{ id status priority payload maxRetries } }"
)


def valid() -> dict[str, Any]:
    name = f"n{uuid.uuid4().hex[:10]}"
    return {"username": name, "email": f"{name}@example.com", "password": "correct horse"}


def test_create_user_needs_no_token(gql: Any, api: Any) -> None:
    fields = valid()
    body = gql(CREATE, {"input": fields}).get_json()
    created = body["data"]["createUser"]
    assert (created["username"], created["email"]) == (fields["username"], fields["email"])
    login = api.call(
        "POST",
        "/api/auth/login",
        json={"username": fields["username"], "password": fields["password"]},
    )
    assert login.status_code == 200


@pytest.mark.parametrize(("changes", "field"), INVALID_SIGN_UPS)
def test_invalid_sign_up_is_bad_user_input(
    gql: Any, api: Any, alice: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    fields = {**valid(), **changes}
    fields = {key: value for key, value in fields.items() if value is not None}
    before = api.call("GET", "/api/users", alice["token"]).json()["total"]
    body = gql(CREATE, {"input": fields}).get_json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert field in error["extensions"]["errors"], body
    assert api.call("GET", "/api/users", alice["token"]).json()["total"] == before


def test_duplicate_sign_up_is_conflict(gql: Any, alice: dict[str, Any]) -> None:
    fields = {**valid(), "username": alice["username"]}
    body = gql(CREATE, {"input": fields}).get_json()
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"


def test_update_own_username(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    new = f"n{uuid.uuid4().hex[:10]}"
    body = gql(UPDATE, {"id": alice["id"], "input": {"username": new}}, token=alice["token"])
    assert body.get_json()["data"]["updateUser"]["username"] == new
    assert api.call("GET", "/api/users/me", alice["token"]).json()["username"] == new


def test_new_password_without_current_names_the_field(gql: Any, alice: dict[str, Any]) -> None:
    body = gql(
        UPDATE, {"id": alice["id"], "input": {"password": "another horse"}}, token=alice["token"]
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "currentPassword" in body["errors"][0]["extensions"]["errors"]


def test_update_of_another_user_is_refused(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    body = gql(
        UPDATE, {"id": bob["id"], "input": {"username": "stolen_name"}}, token=alice["token"]
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.call("GET", "/api/users/me", bob["token"]).json()["username"] == bob["username"]


def test_role_change_by_a_user_is_forbidden(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    body = gql(UPDATE, {"id": alice["id"], "input": {"role": "admin"}}, token=alice["token"])
    assert body.get_json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.call("GET", "/api/users/me", alice["token"]).json()["role"] == "user"


def test_delete_of_another_user_is_refused(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    body = gql(
        "mutation($id: ID!) { deleteUser(id: $id) }", {"id": bob["id"]}, token=alice["token"]
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.call("GET", "/api/users/me", bob["token"]).status_code == 200


def test_delete_self(gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]) -> None:
    body = gql(
        "mutation($id: ID!) { deleteUser(id: $id) }", {"id": alice["id"]}, token=alice["token"]
    ).get_json()
    assert body["data"]["deleteUser"] is True
    assert api.call("GET", f"/api/users/{alice['id']}", bob["token"]).status_code == 404


def test_submitted_job_is_what_rest_returns(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job_input = {
        "type": "timed",
        "payload": {"duration_seconds": 1},
        "priority": "high",
        "delaySeconds": 600,
        "maxRetries": 2,
    }
    created = gql(SUBMIT, {"input": job_input}, token=alice["token"]).get_json()["data"][
        "submitJob"
    ]
    rest = api.call("GET", f"/api/jobs/{created['id']}", alice["token"]).json()
    assert created == {
        "id": rest["id"],
        "status": rest["status"],
        "priority": "high",
        "payload": rest["payload"],
        "maxRetries": 2,
    }


def test_bad_payload_is_bad_user_input(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job_input = {"type": "timed", "payload": {"duration_seconds": -1}}
    body = gql(SUBMIT, {"input": job_input}, token=alice["token"]).get_json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "payload" in body["errors"][0]["extensions"]["errors"]
    assert api.call("GET", "/api/jobs", alice["token"]).json()["total"] == 0


def test_idempotency_key_is_honoured(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job_input = {"type": "timed", "payload": {"duration_seconds": 0}, "delaySeconds": 600}
    first, second = (
        gql(
            SUBMIT, {"input": job_input}, token=alice["token"], **{"Idempotency-Key": "k-1"}
        ).get_json()["data"]["submitJob"]["id"]
        for _ in range(2)
    )
    assert first == second
    assert api.call("GET", "/api/jobs", alice["token"]).json()["total"] == 1


def test_cancel_then_retry(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job = api.submit(alice["token"])
    canceled = gql(
        "mutation($id: ID!) { cancelJob(id: $id) { status } }",
        {"id": job["id"]},
        token=alice["token"],
    ).get_json()
    assert canceled["data"]["cancelJob"]["status"] == "canceled"
    retried = gql(
        "mutation($id: ID!) { retryJob(id: $id) { status } }",
        {"id": job["id"]},
        token=alice["token"],
    ).get_json()
    assert retried["data"]["retryJob"]["status"] in ("queued", "scheduled")
    assert (
        api.call("GET", f"/api/jobs/{job['id']}", alice["token"]).json()["status"]
        == (retried["data"]["retryJob"]["status"])
    )


def test_retry_of_a_waiting_job_is_conflict(gql: Any, api: Any, alice: dict[str, Any]) -> None:
    job = api.submit(alice["token"])
    body = gql(
        "mutation($id: ID!) { retryJob(id: $id) { status } }",
        {"id": job["id"]},
        token=alice["token"],
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"


def test_cancel_of_another_users_job_is_not_found(
    gql: Any, api: Any, alice: dict[str, Any], bob: dict[str, Any]
) -> None:
    job = api.submit(bob["token"])
    body = gql(
        "mutation($id: ID!) { cancelJob(id: $id) { status } }",
        {"id": job["id"]},
        token=alice["token"],
    ).get_json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert api.call("GET", f"/api/jobs/{job['id']}", bob["token"]).json()["status"] == "scheduled"
