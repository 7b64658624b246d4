"""Revocations: kept in SQL until the tokens they cover expire (the record), copied to Redis
for every service to check (the view, ``conveyor_web.revocation``), and copied again
whenever Redis has lost them.

Writing one: the row is committed first, then one script sets its Redis key and raises the
view's marker to its id (one round trip). Rebuilding: under a lock, every live row goes to
Redis again, and only then is the marker written, if the lock is still ours (a ``FLUSHALL``
during the rebuild takes the lock with it, and that rebuild does not count). Each user's tier
for the fair dispatcher, lost with the rest, is restored at the same time.

A :class:`Watch` thread per process looks every ``REVOCATIONS_CHECK_INTERVAL`` seconds: no
marker (Redis lost its data), or a marker below an id that was already committed at the
previous look (a failover to a replica that missed writes, or a Redis write that failed after
its commit), and the view is rebuilt. A request that finds no marker rebuilds at once.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
import redis
from flask import Flask
from redis.commands.core import Script
from redis.exceptions import LockError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from conveyor_core.clock import utcnow
from conveyor_core.fair import execute_pipeline, queue_tier
from conveyor_web.redis_client import get_redis
from conveyor_web.revocation import (
    REBUILD_EXTENSION,
    REVOCATIONS_BUILT_KEY,
    REVOKED_JTI_KEY,
    REVOKED_SESSION_KEY,
    USER_TOKENS_VALID_AFTER_KEY,
)

from .extensions import db
from .models import Revocation, User

logger = logging.getLogger(__name__)

KEYS = {"jti": REVOKED_JTI_KEY, "sid": REVOKED_SESSION_KEY, "user": USER_TOKENS_VALID_AFTER_KEY}
"""The Redis key of each kind of revocation."""

LOCK_KEY = "conveyor:user-service:revocations:rebuild-lock"
LOCK_SECONDS = 120
"""Longest a rebuild may hold its lock (a rebuild running longer does not count)."""

REQUEST_WAIT = 5.0
"""Seconds a request waits for another process's rebuild before answering 503."""

BATCH = 1000
"""Rows read, and keys written, per round trip of a rebuild."""

WATCH = "conveyor_revocations_watch"
"""Key of the process's :class:`Watch` in ``app.extensions``."""

# KEYS: the marker, then one key per revocation; ARGV: the highest id written (0: none), then
# a value and a TTL per key. The marker is only ever raised, and never created: a view with
# no marker stays unbuilt until a rebuild has copied the whole record.
_RECORD = Script(
    None,  # type: ignore[arg-type]
    b"""
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2 * i - 2], 'EX', ARGV[2 * i - 1])
end
local built = redis.call('GET', KEYS[1])
if built and tonumber(built) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
""",
)

# KEYS: the rebuild lock, the marker; ARGV: our lock token, the highest id copied.
_FINISH = Script(
    None,  # type: ignore[arg-type]
    b"""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local built = tonumber(redis.call('GET', KEYS[2]) or '-1')
if built < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
""",
)


@dataclass(frozen=True)
class Entry:
    """One revocation to make: which kind, of what, the value Redis holds, for how long."""

    kind: str
    subject: str
    seconds: int
    value: str = "1"


def _write(connection: Any, items: Sequence[tuple[str, str, int]], through: int) -> None:
    keys = [REVOCATIONS_BUILT_KEY, *(key for key, _value, _ttl in items)]
    args: list[Any] = [through]
    for _key, value, ttl in items:
        args += [value, max(ttl, 1)]
    _RECORD(keys=keys, args=args, client=connection)


def record(entries: Sequence[Entry]) -> None:
    """Revoke: commit the rows, then set their keys in Redis (one round trip)."""
    if not entries:
        return
    now = utcnow()
    rows = [
        Revocation(kind=entry.kind, subject=entry.subject, value=entry.value,
                   expires_at=now + timedelta(seconds=entry.seconds))
        for entry in entries
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()
    through = max(row.id for row in rows)
    db.session.commit()
    items = [(KEYS[e.kind].format(e.subject), e.value, e.seconds) for e in entries]
    _write(get_redis(), items, through)


def _ttl(expires: datetime, now: datetime) -> int:
    return max(math.ceil((expires - now).total_seconds()), 1)


def _live_rows(now: datetime) -> Iterator[list[Revocation]]:
    last = 0
    while True:
        query = (
            select(Revocation)
            .where(Revocation.expires_at > now, Revocation.id > last)
            .order_by(Revocation.id)
            .limit(BATCH)
        )
        rows = list(db.session.scalars(query))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _copy_revocations(connection: redis.Redis, now: datetime) -> int:
    """Copy every live revocation to Redis; return how many."""
    copied = 0
    valid_after: dict[str, tuple[float, int]] = {}  # a user's latest mark wins
    for rows in _live_rows(now):
        items = []
        for row in rows:
            ttl = _ttl(row.expires, now)
            if row.kind == "user":
                older = valid_after.get(row.subject, (float("-inf"), 0))
                valid_after[row.subject] = (max(older[0], float(row.value)), max(older[1], ttl))
            else:
                items.append((KEYS[row.kind].format(row.subject), row.value, ttl))
        if items:
            _write(connection, items, 0)
        copied += len(rows)
    marks = [(KEYS["user"].format(user), repr(at), ttl) for user, (at, ttl) in valid_after.items()]
    for start in range(0, len(marks), BATCH):
        _write(connection, marks[start : start + BATCH], 0)
    return copied


def _restore_tiers(connection: redis.Redis) -> None:
    """Tell the fair dispatcher every user's tier it does not know (lost with the rest)."""
    last = 0
    while True:
        query = select(User.id, User.tier).where(User.id > last).order_by(User.id).limit(BATCH)
        users = db.session.execute(query).all()
        if not users:
            return
        with connection.pipeline(transaction=False) as pipe:
            for user_id, tier in users:
                queue_tier(pipe, user_id, tier, overwrite=False)  # a newer change stands
            execute_pipeline(connection, pipe)
        last = users[-1][0]


def rebuild(wait: float, force: bool = False) -> bool:
    """Copy the record to Redis and mark the view built, unless it is (``force``: even then);
    return whether the view is built now. Waits up to ``wait`` seconds for another process's
    rebuild, then gives up (``False``)."""
    connection = get_redis()
    token = uuid.uuid4().hex
    lock = connection.lock(LOCK_KEY, timeout=LOCK_SECONDS, blocking_timeout=wait)
    if not lock.acquire(token=token):
        return False
    try:
        if not force and connection.exists(REVOCATIONS_BUILT_KEY):
            return True  # another process built it while we waited
        now = utcnow()
        db.session.execute(delete(Revocation).where(Revocation.expires_at <= now))
        db.session.commit()
        through = db.session.scalar(select(func.max(Revocation.id))) or 0
        copied = _copy_revocations(connection, now)
        _restore_tiers(connection)
        built = bool(_FINISH(keys=[LOCK_KEY, REVOCATIONS_BUILT_KEY], args=[token, through],
                             client=connection))  # fmt: skip
        logger.warning(
            "rebuilt Redis's view of revoked tokens from SQL",
            extra={"revocations": copied, "through": through, "built": built},
        )
        return built
    finally:
        with suppress(LockError):  # lost with Redis's data, or expired: nothing to release
            lock.release()


class Watch:
    """A thread that checks Redis's view every ``interval`` seconds and rebuilds it if lost,
    so job-api (which cannot rebuild it) refuses tokens for no longer than that."""

    def __init__(self, app: Flask, interval: float) -> None:
        self._app = app
        self._interval = interval
        self._stop = threading.Event()
        self._newest: int | None = None
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="revocations-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=LOCK_SECONDS)

    def check(self) -> None:
        """Rebuild the view if its marker is gone or lags the record."""
        built = get_redis().get(REVOCATIONS_BUILT_KEY)
        previous = self._newest
        self._newest = db.session.scalar(select(func.max(Revocation.id))) or 0
        if built is None:
            rebuild(wait=0)
        elif previous is not None and int(built) < previous:  # type: ignore[arg-type]
            rebuild(wait=0, force=True)

    def _run(self) -> None:
        # The first look is at once: on a fresh Redis, job-api waits for this one.
        while True:
            with self._app.app_context():
                try:
                    self.check()
                    self._failing = False
                except Exception as error:  # Redis or SQL down: try again next time
                    if not self._failing:
                        logger.warning("revocation check failed", extra={"error": str(error)})
                    self._failing = True
                finally:
                    try:
                        db.session.remove()
                    except SQLAlchemyError:  # its connection dropped under the rollback
                        db.session.registry.clear()  # the pool has invalidated it already
            if self._stop.wait(self._interval):
                return


def init_app(app: Flask) -> None:
    """Let requests rebuild the view, and watch it (unless ``REVOCATIONS_CHECK_INTERVAL`` is 0,
    or the app was built for a ``flask`` command: migrations, ``create-admin``, whose process
    serves no request and whose checks could race the migration that makes the table)."""
    app.extensions[REBUILD_EXTENSION] = lambda: rebuild(REQUEST_WAIT)
    interval = float(app.config["REVOCATIONS_CHECK_INTERVAL"])
    if interval > 0 and click.get_current_context(silent=True) is None:
        watch = Watch(app, interval)
        app.extensions[WATCH] = watch
        watch.start()


def stop(app: Flask) -> None:
    """Stop the app's watch, if it has one."""
    watch: Watch | None = app.extensions.pop(WATCH, None)
    if watch is not None:
        watch.stop()
