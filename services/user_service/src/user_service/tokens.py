"""Access and refresh tokens: issuing, rotating refresh tokens, and revoking sessions.

A login starts a session (token family) named by ``sid``. Every refresh token is single-use:
refreshing spends it and issues a new pair in the same session. Presenting a spent refresh
token means it leaked (or a client misbehaves), so the whole session is revoked, which also
voids its access tokens in every service (``conveyor_web.auth.is_revoked``). Every
revocation is kept in SQL as well as in Redis (:mod:`.revocations`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from conveyor_core.logs import user_id_var
from conveyor_core.redis_connection import text
from conveyor_web.redis_client import get_redis

from . import revocations
from .exceptions import InvalidCredentials
from .models import User
from .revocations import Entry

SPENT_REFRESH_KEY = "conveyor:user-service:refresh-spent:{}"
"""Set (NX) when a refresh token is used; a second use is a replay."""

USER_SESSIONS_KEY = "conveyor:user-service:sessions:{}"
"""Set of the session ids a user has started, so they can all be revoked."""

REPLAY_DETAIL = "Refresh token was already used; the session has been revoked."


def _ttl_seconds(name: str) -> int:
    return int(current_app.config[name].total_seconds())


def issue_pair(user: User, sid: str | None = None) -> dict[str, Any]:
    """Sign a new access/refresh pair for ``user`` in session ``sid`` (a new one if None)."""
    sid = sid or uuid.uuid4().hex
    identity = str(user.id)
    user_id_var.set(identity)  # the request's access line names who logged in
    # email and username let job-api address job emails without calling this service.
    claims = {"role": user.role, "tier": user.tier, "sid": sid, "email": user.email,
              "username": user.username}  # fmt: skip
    access = create_access_token(identity, additional_claims=claims)
    refresh = create_refresh_token(identity, additional_claims={"sid": sid})
    refresh_ttl = _ttl_seconds("REFRESH_TOKEN_TTL")
    sessions = USER_SESSIONS_KEY.format(user.id)
    pipe = get_redis().pipeline()
    pipe.sadd(sessions, sid)
    pipe.expire(sessions, refresh_ttl)
    pipe.execute()
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": _ttl_seconds("ACCESS_TOKEN_TTL"),
    }


def spend_refresh(claims: dict[str, Any]) -> None:
    """Mark a verified refresh token as used; on a replay revoke its session and refuse."""
    remaining = _token_seconds(claims)
    first_use = get_redis().set(SPENT_REFRESH_KEY.format(claims["jti"]), 1, nx=True, ex=remaining)
    if not first_use:
        if claims.get("sid"):
            revoke_session(claims["sid"])
        raise InvalidCredentials(REPLAY_DETAIL)


def _refresh_seconds() -> int:
    return _ttl_seconds("REFRESH_TOKEN_TTL")


def _token_seconds(claims: dict[str, Any]) -> int:
    return max(int(claims["exp"] - time.time()), 1)


def revoke_session(sid: str) -> None:
    """Void every token of one login session, in every service, at once."""
    revocations.record([Entry("sid", sid, _refresh_seconds())])


def end_session(claims: dict[str, Any]) -> None:
    """Log out: void this token and, if it names one, its whole session."""
    entries = [Entry("jti", claims["jti"], _token_seconds(claims))]
    if claims.get("sid"):
        entries.append(Entry("sid", claims["sid"], _refresh_seconds()))
    revocations.record(entries)


def revoke_sessions(user_id: int, keep: str | None = None) -> None:
    """Void every session of a user except ``keep``: their password changed (keeping the
    caller's own session), or their role (keeping none).

    Sessions are listed in Redis; with none kept, every token issued in an earlier second is
    also voided by time, so sessions that Redis forgot (it lost its data since) end too."""
    redis = get_redis()
    key = USER_SESSIONS_KEY.format(user_id)
    sids = [text(raw) for raw in redis.smembers(key)]  # type: ignore[union-attr]
    ended = [sid for sid in sids if sid != keep]
    entries = [Entry("sid", sid, _refresh_seconds()) for sid in ended]
    if keep is None:
        # ``iat`` is whole seconds: a login later in this same second must stay valid.
        before = str(int(time.time()) - 1)
        entries.append(Entry("user", str(user_id), _refresh_seconds(), value=before))
    revocations.record(entries)
    if ended:
        redis.srem(key, *ended)


def revoke_user(user_id: int) -> None:
    """Void every token ever issued to a user (the account is gone)."""
    entry = Entry("user", str(user_id), _refresh_seconds(), value=repr(time.time()))
    revocations.record([entry])
    get_redis().delete(USER_SESSIONS_KEY.format(user_id))
