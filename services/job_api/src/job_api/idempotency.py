"""``Idempotency-Key``: one key, one effect, for 24 hours per user.

- The same key with the same request returns the first response and creates nothing.
- The same key with a different request is a 422.
- The same key while the first request is still being handled is a 409.

A Redis lock (``SET NX``) marks a key in flight; the first response is stored in SQL in the
same transaction as the jobs it created, and a unique ``(user_id, key)`` constraint backs
the lock up, so even a lock that expired mid-request cannot let two requests both commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Response, request
from flask import json as flask_json
from redis.commands.core import Script
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from conveyor_core.jobs import store
from conveyor_core.jobs.keys import IDEMPOTENCY_LOCK_KEY
from conveyor_core.jobs.models import utcnow
from conveyor_core.redis_connection import OUTAGE
from conveyor_web.errors import Conflict, Unprocessable
from conveyor_web.redis_client import get_redis

from . import group_commit, submission
from .extensions import db
from .models import IdempotencyKey
from .submission import Created

HEADER = "Idempotency-Key"
"""Request header that carries the key."""

TTL = timedelta(hours=24)
"""How long a key is remembered."""

LOCK_SECONDS = 20
"""Longest a key stays locked if its request dies without unlocking it, and so the longest a
client's retry is refused with a 409 after that. Such a lock is not rare: across a network
partition the lock's ``SET`` can reach Redis after its request gave up (the bytes were on
their way; the unlock never goes). A live request's path is bounded by the backing services'
5 s timeouts, and a lock that expires under a slow one lets nothing commit twice (the unique
key in SQL decides), so 20 s, not a minute (a minute of 409s was the soak suite's finding)."""

_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

# Delete the lock only if it is still ours, in one round trip.
_UNLOCK = Script(
    None,  # type: ignore[arg-type]
    b"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
)


def _digest() -> str:
    """Fingerprint the request: method, path and body (JSON canonicalised)."""
    body = request.get_json(silent=True)
    canonical = (
        json.dumps(body, sort_keys=True, separators=(",", ":"))
        if body is not None
        else request.get_data(as_text=True)
    )
    text = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _response(status: int, body: str, location: str | None, replayed: bool) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _replay(user_id: int, key: str, digest: str) -> Response | None:
    """Return the stored first response for ``key``, or ``None`` if there is none."""
    record = db.session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).first()
    if record is None:
        return None
    if record.created_at < utcnow() - TTL:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record.id))
        db.session.commit()
        return None
    if record.request_hash != digest:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request.",
            errors={HEADER: ["Already used with a different request body."]},
        )
    return _response(record.status_code, record.body, record.location, replayed=True)


def respond(user_id: int, handle: Callable[[], Created]) -> Response:
    """Run ``handle`` at most once per idempotency key, commit, and answer.

    No SQL transaction stays open across Redis I/O: on SQLite it would hold the write lock."""
    key = request.headers.get(HEADER)
    if key is None:  # nothing to remember: commit with the requests arriving meanwhile
        created = handle()
        body = flask_json.dumps(created.render(group_commit.submit(created.accepted)))
        return _response(created.status, body, created.location, False)
    if not _VALID_KEY.match(key):
        raise Unprocessable(
            "Invalid Idempotency-Key.", errors={HEADER: ["Must be 1-255 visible ASCII characters."]}
        )
    digest = _digest()
    known = _replay(user_id, key, digest)
    db.session.rollback()
    if known is not None:
        return known
    lock_key = IDEMPOTENCY_LOCK_KEY.format(
        user_id=user_id, digest=hashlib.sha256(key.encode()).hexdigest()
    )
    token = uuid.uuid4().hex
    redis = get_redis()
    if not redis.set(lock_key, token, nx=True, ex=LOCK_SECONDS):
        known = _replay(user_id, key, digest)  # the first request may have committed since
        if known is not None:
            return known
        raise Conflict("A request with this Idempotency-Key is still being handled.")
    try:
        known = _replay(user_id, key, digest)
        db.session.rollback()  # the rows below are only added, so no transaction is open
        if known is not None:
            return known
        created = handle()
        accepted = created.accepted
        # The stored answer is the first answer, so it is made before the push (and commit).
        body = flask_json.dumps(created.render(submission.estimate_places(accepted.jobs)))
        store.insert(db.session.connection(), accepted.jobs, accepted.inputs)
        db.session.add(
            IdempotencyKey(
                user_id=user_id,
                key=key,
                request_hash=digest,
                status_code=created.status,
                body=body,
                location=created.location,
                created_at=utcnow(),
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            known = _replay(user_id, key, digest)
            if known is not None:
                return known
            raise Conflict("A request with this Idempotency-Key is still being handled.") from None
        submission.dispatch_accepted(accepted.jobs, [accepted.caller])
        return _response(created.status, body, created.location, replayed=False)
    finally:
        # Tidying only: a retry finds a committed key in SQL before it looks at the lock, and
        # a lock left behind expires by itself. With Redis gone, the answer stands.
        with contextlib.suppress(*OUTAGE):
            _UNLOCK(keys=[lock_key], args=[token], client=redis)
