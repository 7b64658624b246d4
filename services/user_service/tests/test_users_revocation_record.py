"""Revocations outlive Redis's data: kept in SQL, and Redis's view rebuilt from them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from users_helpers import bearer, close_app

from conveyor_testing import wait_for
from conveyor_web.revocation import REVOCATIONS_BUILT_KEY, REVOKED_JTI_KEY, REVOKED_SESSION_KEY
from user_service import create_app, revocations
from user_service.extensions import db
from user_service.models import Revocation, utcnow

Session = Callable[..., tuple[dict[str, Any], dict[str, str]]]
Headers = dict[str, str]


def flushall(app: Flask) -> None:
    app.extensions["conveyor_redis"].flushall()


def logout(client: FlaskClient, user: dict[str, Any], headers: Headers, admin: Headers) -> None:
    assert client.post("/api/auth/logout", headers=headers).status_code == 204


def delete(client: FlaskClient, user: dict[str, Any], headers: Headers, admin: Headers) -> None:
    assert client.delete(f"/api/users/{user['id']}", headers=headers).status_code == 204


def promote(client: FlaskClient, user: dict[str, Any], headers: Headers, admin: Headers) -> None:
    response = client.patch(f"/api/users/{user['id']}", json={"role": "admin"}, headers=admin)
    assert response.status_code == 200


@pytest.mark.parametrize("revoke", [logout, delete, promote], ids=["logout", "delete", "role"])
def test_a_revoked_token_stays_refused_after_redis_loses_its_data(
    app: Flask, client: FlaskClient, user_session: Session, revoke: Callable[..., None]
) -> None:
    user, headers = user_session("owner")
    admin = user_session("root", admin=True)[1]
    revoke(client, user, headers, admin)
    flushall(app)
    response = client.get("/api/users", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Token has been revoked."


def test_a_replayed_refresh_tokens_session_stays_revoked_after_redis_loses_its_data(
    app: Flask, client: FlaskClient, user_session: Session, login: Callable[..., Any]
) -> None:
    user_session("owner")
    spent = bearer(login("owner")["refresh_token"])
    second = client.post("/api/auth/refresh", headers=spent).get_json()
    assert client.post("/api/auth/refresh", headers=spent).status_code == 401  # the replay
    flushall(app)
    assert client.get("/api/users/me", headers=bearer(second["access_token"])).status_code == 401
    replayed = client.post("/api/auth/refresh", headers=bearer(second["refresh_token"]))
    assert replayed.status_code == 401


def test_a_live_session_works_again_once_rebuilt(
    app: Flask, client: FlaskClient, user_session: Session, login: Callable[..., Any]
) -> None:
    _, headers = user_session("owner")
    client.post("/api/auth/logout", headers=bearer(login("owner")["access_token"]))
    flushall(app)
    assert client.get("/api/users/me", headers=headers).status_code == 200
    assert app.extensions["conveyor_redis"].get(REVOCATIONS_BUILT_KEY) is not None


def test_a_rebuild_restores_live_revocations_and_drops_expired_ones(app: Flask) -> None:
    redis = app.extensions["conveyor_redis"]
    with app.app_context():
        revocations.record([revocations.Entry("jti", "live", 600)])
        gone = Revocation(kind="sid", subject="gone", value="1",
                          expires_at=utcnow() - timedelta(seconds=1))  # fmt: skip
        db.session.add(gone)
        db.session.commit()
        flushall(app)
        assert revocations.rebuild(wait=0)
        remaining = db.session.scalars(db.select(Revocation.subject)).all()
    assert 0 < redis.ttl(REVOKED_JTI_KEY.format("live")) <= 600
    assert redis.exists(REVOKED_SESSION_KEY.format("gone")) == 0
    assert remaining == ["live"]


def test_a_rebuild_restores_the_dispatchers_tiers(
    app: Flask, client: FlaskClient, user_session: Session
) -> None:
    user, _ = user_session("owner")
    admin = user_session("root", admin=True)[1]
    client.patch(f"/api/users/{user['id']}", json={"tier": "pro"}, headers=admin)
    flushall(app)
    with app.app_context():
        assert revocations.rebuild(wait=0)
    tier = app.extensions["conveyor_redis"].hget(f"conveyor:fair:user:{user['id']}", "tier")
    assert tier == b"pro"


def test_no_rebuild_while_another_process_rebuilds(app: Flask) -> None:
    redis = app.extensions["conveyor_redis"]
    flushall(app)
    redis.set(revocations.LOCK_KEY, "another process")
    with app.app_context():
        assert not revocations.rebuild(wait=0)
    assert redis.get(REVOCATIONS_BUILT_KEY) is None


@pytest.fixture
def watched(config: dict[str, Any], app: Flask) -> Iterator[Flask]:
    """A second app on the same database and Redis, its watch checking every 50 ms."""
    other = create_app({**config, "REVOCATIONS_CHECK_INTERVAL": 0.05})
    yield other
    close_app(other)


def test_the_watch_rebuilds_a_lost_view_without_a_request(
    watched: Flask, client: FlaskClient, user_session: Session
) -> None:
    _, headers = user_session("owner")
    client.post("/api/auth/logout", headers=headers)
    flushall(watched)
    redis = watched.extensions["conveyor_redis"]
    wait_for(lambda: redis.get(REVOCATIONS_BUILT_KEY), "the watch to rebuild the view")
    assert redis.keys(REVOKED_SESSION_KEY.format("*"))


def test_the_watch_rebuilds_a_view_that_missed_revocations(
    watched: Flask, client: FlaskClient, user_session: Session
) -> None:
    _, headers = user_session("owner")
    client.post("/api/auth/logout", headers=headers)
    redis = watched.extensions["conveyor_redis"]
    (key,) = redis.keys(REVOKED_SESSION_KEY.format("*"))
    # As on a replica that missed the logout: the key is gone, the marker one write behind.
    redis.delete(key)
    redis.decr(REVOCATIONS_BUILT_KEY)
    wait_for(lambda: redis.exists(key), "the watch to restore the missed revocation")
