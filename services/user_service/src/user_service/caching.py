"""Cached reads of users and user list pages, invalidated on every change.

Each cached value is stored under a generation number that a write bumps after its commit.
A reader looks the generation up first, so a value computed from rows read before a write
lands under the old generation and is never served again: a read after a write is fresh.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from conveyor_web.api import order_by, paginate
from conveyor_web.redis_client import get_redis

from .extensions import cache, db
from .models import MAX_ID, User

PREFIX = "conveyor:user-service:"
"""Prefix of every Redis key this service owns (cache entries included)."""

USER_GENERATION_KEY = PREFIX + "generation:user:{}"
LIST_GENERATION_KEY = PREFIX + "generation:list"


def init_app(app: Flask) -> None:
    """Cache in the service's Redis, under the service's own key prefix."""
    app.config.setdefault("CACHE_TYPE", "RedisCache")
    app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("CACHE_KEY_PREFIX", PREFIX + "cache:")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", app.config["CACHE_TIMEOUT"])
    cache.init_app(app)


def _generation(key: str) -> int:
    value = get_redis().get(key)
    return int(value) if value else 0  # type: ignore[arg-type]


def get_user(user_id: int) -> dict[str, Any] | None:
    """Return one user's public fields (email included), or None if there is no such user."""
    if not 0 < user_id <= MAX_ID:
        return None
    key = f"user:{_generation(USER_GENERATION_KEY.format(user_id))}:{user_id}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    user = db.session.get(User, user_id)
    if user is None:
        return None
    data = user.to_dict()
    cache.set(key, data)
    return data


def get_page(page: int, per_page: int, sort: str, ids: list[int] | None = None) -> dict[str, Any]:
    """Return one page of the user list (only ``ids`` if given), items as dicts (emails
    included)."""
    only = ",".join(map(str, ids)) if ids else ""
    key = f"list:{_generation(LIST_GENERATION_KEY)}:{page}:{per_page}:{sort}:{only}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    query = select(User).order_by(*order_by(User, sort))
    if ids:
        query = query.where(User.id.in_(ids))
    envelope = paginate(db.session, query, page, per_page)
    envelope["items"] = [user.to_dict() for user in envelope["items"]]
    cache.set(key, envelope)
    return envelope


def invalidate(user_id: int) -> None:
    """Retire every cached read that could show ``user_id`` (call after the commit)."""
    pipe = get_redis().pipeline()
    pipe.incr(USER_GENERATION_KEY.format(user_id))
    pipe.incr(LIST_GENERATION_KEY)
    pipe.execute()
