"""Stream tokens: ``POST /api/events/token`` and ``GET /api/events?token=...``."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import events_support as support
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from conveyor_core import streams
from conveyor_web.auth import REVOKED_SESSION_KEY
from job_api.resources.events.tokens import TOKEN_KEY


def mint(client: FlaskClient, access_token: str) -> dict[str, Any]:
    response = client.post("/api/events/token", headers=support.bearer(access_token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_minting_returns_a_short_lived_stream_token(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    response = client.post("/api/events/token", headers=support.bearer(make_token(1)))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert (body["token_type"], body["expires_in"]) == ("stream", 60)
    assert 32 <= len(body["token"]) <= 128


def test_minting_needs_a_bearer_token(client: FlaskClient) -> None:
    response = client.post("/api/events/token")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_redis_holds_only_a_hash_of_the_token_with_its_ttl(
    client: FlaskClient, connection: redis.Redis, make_token: Callable[..., str]
) -> None:
    token = mint(client, make_token(1))["token"]
    key = TOKEN_KEY.format(digest=hashlib.sha256(token.encode()).hexdigest())
    assert 0 < connection.pttl(key) <= 60_000
    stored = [connection.dump(name) for name in connection.scan_iter()]
    assert stored and all(token.encode() not in value for value in stored)  # type: ignore[operator]


def test_a_minted_token_opens_the_stream_of_its_user(
    client: FlaskClient, connection: redis.Redis, make_token: Callable[..., str]
) -> None:
    token = mint(client, make_token(5))["token"]

    response = client.get(f"/api/events?token={token}", buffered=False)
    try:
        assert response.status_code == 200
        stream = support.messages(response.response, time.monotonic() + 10)
        streams.publish(connection, 5, streams.JOB_QUEUED, {"job_id": "mine"})
        message, _ = support.read_until(stream, streams.JOB_QUEUED)
    finally:
        response.close()
    assert message.json()["job_id"] == "mine"


def test_a_stream_token_serves_reconnects_until_it_expires(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    token = mint(client, make_token(5))["token"]
    for _ in range(2):  # EventSource reconnects with the very same URL
        response = client.get(f"/api/events?token={token}", buffered=False)
        response.close()
        assert response.status_code == 200


def test_an_expired_stream_token_is_a_401(
    app: Flask, client: FlaskClient, connection: redis.Redis, make_token: Callable[..., str]
) -> None:
    app.config["EVENTS_TOKEN_TTL"] = 0.2
    token = mint(client, make_token(5))["token"]
    key = TOKEN_KEY.format(digest=hashlib.sha256(token.encode()).hexdigest())
    deadline = time.monotonic() + 5
    while connection.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling Redis for the expiry, bounded by the deadline

    response = client.get(f"/api/events?token={token}")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "stream token" in response.get_json()["detail"]


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 500])
def test_an_unknown_stream_token_is_a_401(client: FlaskClient, token: str) -> None:
    response = client.get(f"/api/events?token={token}")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_the_long_lived_access_token_is_refused_in_the_query_string(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    response = client.get(f"/api/events?token={make_token(5)}")
    assert response.status_code == 401


@pytest.mark.parametrize("how", ["bearer", "query"])
def test_a_stream_token_opens_no_other_route(
    client: FlaskClient, make_token: Callable[..., str], how: str
) -> None:
    token = mint(client, make_token(5))["token"]
    if how == "bearer":
        response = client.get("/api/jobs", headers=support.bearer(token))
    else:
        response = client.get(f"/api/jobs?token={token}")
    assert response.status_code == 401


def test_a_stream_token_cannot_mint_another(
    client: FlaskClient, make_token: Callable[..., str]
) -> None:
    token = mint(client, make_token(5))["token"]
    response = client.post("/api/events/token", headers=support.bearer(token))
    assert response.status_code == 401


def test_logging_out_voids_the_stream_tokens_of_that_session(
    client: FlaskClient, connection: redis.Redis, make_token: Callable[..., str]
) -> None:
    token = mint(client, make_token(5, sid="session-1"))["token"]
    connection.set(REVOKED_SESSION_KEY.format("session-1"), 1)

    response = client.get(f"/api/events?token={token}")

    assert response.status_code == 401
