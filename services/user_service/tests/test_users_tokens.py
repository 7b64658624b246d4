"""Refresh rotation, reuse detection, logout, privilege changes, and tokens that must be
refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from users_helpers import bearer

from conveyor_testing import access_token


def refresh(client: FlaskClient, token: str) -> Any:
    return client.post("/api/auth/refresh", headers=bearer(token))


def me(client: FlaskClient, token: str) -> int:
    return client.get("/api/users/me", headers=bearer(token)).status_code


@pytest.fixture
def pair(signup: Callable[..., Any], login: Callable[..., Any]) -> dict[str, Any]:
    signup("alice")
    result: dict[str, Any] = login("alice")
    return result


def test_refresh_returns_a_new_working_pair(client: FlaskClient, pair: dict[str, Any]) -> None:
    response = refresh(client, pair["refresh_token"])
    new = response.get_json()
    assert response.status_code == 200
    assert new["refresh_token"] != pair["refresh_token"]
    assert me(client, new["access_token"]) == 200


def test_refresh_token_in_json_body_is_accepted(client: FlaskClient, pair: dict[str, Any]) -> None:
    response = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 200


def test_replayed_refresh_token_revokes_the_whole_session(
    client: FlaskClient, pair: dict[str, Any]
) -> None:
    new = refresh(client, pair["refresh_token"]).get_json()
    replay = refresh(client, pair["refresh_token"])
    assert replay.status_code == 401
    assert replay.mimetype == "application/problem+json"
    assert refresh(client, new["refresh_token"]).status_code == 401
    assert me(client, new["access_token"]) == 401
    assert me(client, pair["access_token"]) == 401


def test_replay_leaves_other_sessions_alone(
    client: FlaskClient, pair: dict[str, Any], login: Callable[..., Any]
) -> None:
    other = login("alice")
    refresh(client, pair["refresh_token"])
    refresh(client, pair["refresh_token"])
    assert me(client, other["access_token"]) == 200


@pytest.mark.parametrize(
    "body",
    [b'{"refresh_token": ["x"]}', b'{"refresh_token": {"a": 1}}', b'["x"]', b'"a string"', b"5",
     b"[" * 10_000 + b"]" * 10_000, rb'{"refresh_token": "\ud800"}'],
    ids=["token-list", "token-object", "list", "string", "number", "nested-too-deep",
         "lone-surrogate"],
)  # fmt: skip
def test_refresh_without_a_token_in_header_or_body_is_401(client: FlaskClient, body: bytes) -> None:
    response = client.post("/api/auth/refresh", data=body, content_type="application/json")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_refresh_header_works_beside_a_body_that_is_not_an_object(
    client: FlaskClient, pair: dict[str, Any]
) -> None:
    response = client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]), json=["x"])
    assert response.status_code == 200


def test_admin_demoting_themself_loses_admin_rights_at_once(
    client: FlaskClient, user_session: Callable[..., Any]
) -> None:
    admin, headers = user_session("root", admin=True)
    url = f"/api/users/{admin['id']}"
    assert client.patch(url, json={"role": "user"}, headers=headers).status_code == 200
    # The old token still says "admin": it must not promote its owner back.
    assert client.patch(url, json={"role": "admin"}, headers=headers).status_code == 401


def test_access_token_cannot_refresh(client: FlaskClient, pair: dict[str, Any]) -> None:
    assert refresh(client, pair["access_token"]).status_code == 401


def test_refresh_token_is_not_an_access_token(client: FlaskClient, pair: dict[str, Any]) -> None:
    assert me(client, pair["refresh_token"]) == 401


def test_logout_revokes_the_session_at_once(client: FlaskClient, pair: dict[str, Any]) -> None:
    response = client.post("/api/auth/logout", headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    assert me(client, pair["access_token"]) == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_logout_leaves_other_sessions_alone(
    client: FlaskClient, pair: dict[str, Any], login: Callable[..., Any]
) -> None:
    other = login("alice")
    client.post("/api/auth/logout", headers=bearer(pair["access_token"]))
    assert me(client, other["access_token"]) == 200


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(user_id: int) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id), "role": "admin", "tier": "free", "sid": "s", "jti": "j",
        "type": "access", "iat": now, "nbf": now, "exp": now + 900,
        "iss": "conveyor", "aud": "conveyor",
    }  # fmt: skip
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def tampered_token(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda key, uid: unsigned_token(uid), id="alg-none"),
        pytest.param(lambda key, uid: tampered_token(access_token(key, uid)), id="tampered"),
        pytest.param(lambda key, uid: access_token(key, uid, issuer="evil"), id="wrong-iss"),
        pytest.param(lambda key, uid: access_token(key, uid, audience="evil"), id="wrong-aud"),
        pytest.param(lambda key, uid: access_token(key, uid, ttl=-1), id="expired"),
        pytest.param(lambda key, uid: "not.a.token", id="garbage"),
    ],
)
def test_bad_tokens_are_401(
    client: FlaskClient,
    signup: Callable[..., Any],
    jwt_keys: tuple[str, str],
    forge: Callable[[str, int], str],
) -> None:
    user = signup("alice")
    response = client.get("/api/users/me", headers=bearer(forge(jwt_keys[0], user["id"])))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_signed_with_another_key_is_401(
    client: FlaskClient, signup: Callable[..., Any]
) -> None:
    from conveyor_web.jwt_keys import generate

    user = signup("alice")
    foreign = access_token(generate()[0], user["id"])
    assert me(client, foreign) == 401
