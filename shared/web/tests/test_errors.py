from typing import Any

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_unknown_route_is_a_404_problem(client: Any) -> None:
    assert_problem(client.get("/api/nowhere"), 404)


def test_wrong_method_is_a_405_problem_with_allow(client: Any) -> None:
    response = client.delete("/api/things")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_400_problem(client: Any) -> None:
    response = client.post("/api/things", data="{nope", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM


# json.loads gives up on such a body with RecursionError rather than JSONDecodeError.
@pytest.mark.parametrize("opening", [b"[", b'{"a":'], ids=["arrays", "objects"])
def test_json_nested_too_deep_is_a_400_problem(client: Any, opening: bytes) -> None:
    depth = 100_000
    closing = b"]" if opening == b"[" else b"}"
    body = b'{"name":' + opening * depth + b"1" + closing * depth + b"}"
    problem = assert_problem(
        client.post("/api/things", data=body, content_type="application/json"), 400
    )
    assert problem["detail"] == "Invalid JSON body."
    assert "errors" not in problem


# Valid JSON text that no UTF-8 string holds: argon2, PyJWT and the drivers fail on it.
@pytest.mark.parametrize("name", [rb'"ab\ud800c"', rb'"abc\uDFFF"'], ids=["high", "low"])
def test_a_lone_surrogate_is_a_400_problem(client: Any, name: bytes) -> None:
    body = b'{"name":' + name + b"}"
    problem = assert_problem(
        client.post("/api/things", data=body, content_type="application/json"), 400
    )
    assert problem["detail"] == "Invalid JSON body."
    assert "errors" not in problem


def test_an_escaped_surrogate_pair_is_a_character_like_any_other(client: Any) -> None:
    body = rb'{"name":"ok \ud83d\ude00"}'
    response = client.post("/api/things", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"name": "ok \U0001f600"}


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, rb'["\ud800"]', b'["\xed\xa0\x80"]'],
    ids=["nested-too-deep", "escaped-lone-surrogate", "encoded-lone-surrogate"],
)
def test_flask_reads_unusable_json_as_invalid(app_factory: Any, body: bytes) -> None:
    app = app_factory()
    with app.test_request_context("/", data=body, content_type="application/json") as context:
        assert context.request.get_json(silent=True) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": "ab"}, "name"), ({"name": 5}, "name"), ({"name": "ok!", "x": 1}, "x")],
)
def test_validation_errors_are_keyed_by_field(client: Any, body: dict, field: str) -> None:
    problem = assert_problem(client.post("/api/things", json=body), 422)
    assert field in problem["errors"]


def test_abort_message_becomes_detail(client: Any) -> None:
    problem = assert_problem(client.get("/api/things/conflict"), 409)
    assert problem["detail"] == "Already there."


def test_unexpected_exception_is_a_500_without_internals(client: Any) -> None:
    response = client.get("/api/things/boom")
    problem = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert problem["detail"] == "An unexpected error occurred."


def test_redis_down_is_a_503_problem_with_retry_after(app_factory: Any, make_token: Any) -> None:
    from conveyor_testing import free_port

    client = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/api/things/me", headers={"Authorization": f"Bearer {make_token(1)}"})
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_missing_token_is_a_401_problem(client: Any) -> None:
    problem = assert_problem(client.get("/api/things/me"), 401)
    assert problem["detail"] == "Missing bearer token."
