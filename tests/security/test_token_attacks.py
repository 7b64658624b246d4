"""Forged, stale and revoked tokens against every service that verifies them: each is a
401 at user-service and at job-api alike, while the honest token beside it works."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from conveyor_testing import access_token

from .world import PASSWORD, World

PROBES = (("/api/users/me", "user-service"), ("/api/jobs", "job-api"))
"""One signed-in read per service."""


def _part(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user_id: int, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(user_id), "role": "admin", "tier": "enterprise", "type": "access",
            "jti": "forged", "sid": "forged", "iat": now, "nbf": now, "exp": now + 900,
            "iss": "conveyor", "aud": "conveyor", **extra}  # fmt: skip


def alg_none(world: World, keys: tuple[str, str]) -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(_claims(world.ids['owner_id']))}."


def hs256_with_public_key(world: World, keys: tuple[str, str]) -> str:
    """The classic key-confusion forgery: HMAC keyed with the (public) verification key."""
    signed = f"{_part({'alg': 'HS256', 'typ': 'JWT'})}.{_part(_claims(world.ids['owner_id']))}"
    mac = hmac.new(keys[1].encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _signed(**claims: Any) -> Callable[[World, tuple[str, str]], str]:
    def make(world: World, keys: tuple[str, str]) -> str:
        return access_token(keys[0], world.ids["owner_id"], **claims)

    return make


def another_key(world: World, keys: tuple[str, str]) -> str:
    from conveyor_web.jwt_keys import generate

    return access_token(generate()[0], world.ids["owner_id"], role="admin")


ATTACKS: dict[str, Callable[[World, tuple[str, str]], str]] = {
    "alg none": alg_none,
    "HS256 keyed with the public key": hs256_with_public_key,
    "signed by another key": another_key,
    "expired 1 s ago": _signed(ttl=-1),
    "wrong audience": _signed(audience="someone-else"),
    "wrong issuer": _signed(issuer="someone-else"),
    "a refresh token as access": _signed(type="refresh"),
}


@pytest.mark.parametrize(("path", "service"), PROBES)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_forged_or_stale_token_is_401(
    world: World, jwt_keys: tuple[str, str], attack: str, path: str, service: str
) -> None:
    token = ATTACKS[attack](world, jwt_keys)
    response = world.client_for(path).get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, f"{service}: {response.get_json()}"


@pytest.mark.parametrize(("path", "service"), PROBES)
def test_the_honest_token_beside_them_works(world: World, path: str, service: str) -> None:
    assert world.call("owner", "GET", path).status_code == 200, service


@pytest.mark.parametrize(("path", "service"), PROBES)
def test_a_logged_out_token_is_401_everywhere(world: World, path: str, service: str) -> None:
    assert world.call("owner", "POST", "/api/auth/logout").status_code == 204
    assert world.call("owner", "GET", path).status_code == 401, service


def test_a_replayed_refresh_token_ends_the_whole_login(world: World) -> None:

    pair = world.users.post("/api/auth/login", json={"username": "other", "password": PASSWORD})
    first = pair.get_json()
    refreshed = world.users.post(
        "/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    replay = world.users.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    newest = refreshed.get_json()["access_token"]
    for path, service in PROBES:
        answer = world.client_for(path).get(path, headers={"Authorization": f"Bearer {newest}"})
        assert answer.status_code == 401, service
