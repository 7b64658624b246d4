import base64
import json
import time
from typing import Any

import pytest
import redis

from conveyor_testing import access_token
from conveyor_web.auth import (
    REVOKED_JTI_KEY,
    REVOKED_SESSION_KEY,
    USER_TOKENS_VALID_AFTER_KEY,
    revoked_tokens,
)
from conveyor_web.jwt_keys import generate
from conveyor_web.revocation import REBUILD_EXTENSION, RETRY_AFTER, mark_built


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def decode_part(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def encode_part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_names_the_caller(client: Any, make_token: Any) -> None:
    response = client.get("/api/things/me", headers=bearer(make_token(7, role="admin", tier="pro")))
    assert response.status_code == 200
    assert response.get_json() == {"id": 7, "role": "admin", "tier": "pro"}


def test_alg_none_is_refused(client: Any, make_token: Any) -> None:
    _header, payload, _ = make_token(7).split(".")
    forged = f"{encode_part({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    assert client.get("/api/things/me", headers=bearer(forged)).status_code == 401


def test_tampered_payload_is_refused(client: Any, make_token: Any) -> None:
    header, payload, signature = make_token(7).split(".")
    claims = decode_part(payload) | {"role": "admin"}
    forged = f"{header}.{encode_part(claims)}.{signature}"
    assert client.get("/api/things/me", headers=bearer(forged)).status_code == 401


def test_token_signed_by_another_key_is_refused(client: Any) -> None:
    other_private, _ = generate()
    token = access_token(other_private, 7)
    assert client.get("/api/things/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "someone-else"},
        {"aud": "someone-else"},
        {"exp": int(time.time()) - 1},
        {"type": "refresh"},
    ],
    ids=["issuer", "audience", "expired", "refresh-as-access"],
)
def test_bad_claims_are_refused(client: Any, make_token: Any, claims: dict[str, Any]) -> None:
    assert client.get("/api/things/me", headers=bearer(make_token(7, **claims))).status_code == 401


def test_hs256_token_with_public_key_as_secret_is_refused(
    client: Any, jwt_keys: tuple[str, str]
) -> None:
    header = encode_part({"alg": "HS256", "typ": "JWT"})
    payload = encode_part({"sub": "7", "role": "admin", "tier": "free", "type": "access"})
    token = f"{header}.{payload}.c2lnbmF0dXJl"
    assert client.get("/api/things/me", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("which", ["jti", "sid", "user"])
def test_revoked_token_is_refused(client: Any, make_token: Any, redis_url: str, which: str) -> None:
    token = make_token(7, jti="j1", sid="s1")
    assert client.get("/api/things/me", headers=bearer(token)).status_code == 200
    key = {
        "jti": REVOKED_JTI_KEY.format("j1"),
        "sid": REVOKED_SESSION_KEY.format("s1"),
        "user": USER_TOKENS_VALID_AFTER_KEY.format("7"),
    }[which]
    redis.Redis.from_url(redis_url).set(key, time.time() + 1)
    response = client.get("/api/things/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Token has been revoked."


def test_checks_made_together_each_get_their_own_verdict(app_factory: Any, redis_url: str) -> None:
    now = time.time()
    payloads = [
        {"jti": "fine", "sid": "s1", "sub": "7", "iat": now},
        {"jti": "gone", "sid": "s1", "sub": "7", "iat": now},
        {"jti": "other", "sid": "s2", "sub": "8", "iat": now},
        {"jti": "older", "sid": "s3", "sub": "9", "iat": now - 60},
        {"jti": "fine", "sid": "s1", "sub": "7", "iat": now},  # the same token twice
    ]
    connection = redis.Redis.from_url(redis_url)
    connection.set(REVOKED_JTI_KEY.format("gone"), 1)
    connection.set(REVOKED_SESSION_KEY.format("s2"), 1)
    connection.set(USER_TOKENS_VALID_AFTER_KEY.format("9"), now - 30)
    with app_factory().app_context():
        verdicts = revoked_tokens(payloads)
    assert verdicts == {"fine": False, "gone": True, "other": True, "older": True}


def test_a_remembered_token_is_refused_once_expired(client: Any, make_token: Any) -> None:
    token = make_token(7, ttl=2)
    assert client.get("/api/things/me", headers=bearer(token)).status_code == 200
    expires = decode_part(token.split(".")[1])["exp"]
    deadline = time.monotonic() + 10
    while time.time() < expires and time.monotonic() < deadline:
        time.sleep(0.05)  # the wall clock itself is what this test waits for
    response = client.get("/api/things/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Token has expired."


def test_a_tampered_copy_of_a_remembered_token_is_refused(client: Any, make_token: Any) -> None:
    token = make_token(7)
    assert client.get("/api/things/me", headers=bearer(token)).status_code == 200
    header, payload, signature = token.split(".")
    forged = f"{header}.{encode_part(decode_part(payload) | {'role': 'admin'})}.{signature}"
    assert client.get("/api/things/me", headers=bearer(forged)).status_code == 401
    assert client.get("/api/things/me", headers=bearer(token)).get_json()["role"] == "user"


def test_a_verified_token_is_remembered(app_factory: Any, make_token: Any) -> None:
    app = app_factory()
    token = make_token(7)
    for _ in range(2):
        assert app.test_client().get("/api/things/me", headers=bearer(token)).status_code == 200
    assert list(app.extensions["flask-jwt-extended"]._verified) == [token]


def test_a_token_is_refused_while_the_view_of_revocations_is_not_built(
    client: Any, make_token: Any, redis_url: str
) -> None:
    redis.Redis.from_url(redis_url).flushall()  # Redis lost its data: no marker
    response = client.get("/api/things/me", headers=bearer(make_token(7)))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("built", [True, False], ids=["rebuilt", "not-rebuilt"])
def test_a_service_that_can_rebuild_the_view_does_so_first(
    app_factory: Any, make_token: Any, redis_url: str, built: bool
) -> None:
    connection = redis.Redis.from_url(redis_url)
    connection.flushall()
    app = app_factory()
    calls: list[bool] = []

    def rebuild() -> bool:
        calls.append(True)
        if built:
            connection.set(REVOKED_JTI_KEY.format("j1"), 1)  # from the record
            mark_built(connection)
        return built

    app.extensions[REBUILD_EXTENSION] = rebuild
    response = app.test_client().get("/api/things/me", headers=bearer(make_token(7, jti="j1")))
    assert (response.status_code, calls) == (401 if built else 503, [True])
