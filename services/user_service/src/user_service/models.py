"""The users table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor_core.clock import utcnow

from .extensions import db

ROLES = ("user", "admin")
"""Every role (kept equal to ``conveyor_web.auth.ROLES``)."""

TIERS = ("free", "pro", "enterprise")
"""Every service tier."""

MAX_ID = 2**31 - 1
"""Largest user id (a 32-bit INTEGER column on every database)."""


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class User(db.Model):  # type: ignore[name-defined,misc]
    """One account. ``username`` and ``email`` are stored lower-case, so uniqueness is
    case-insensitive on every database."""

    __tablename__ = "users"
    # AUTOINCREMENT on SQLite: a deleted user's id is never handed out again, so the
    # revocation keys kept for it can never hit a new account.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="user")
    tier: Mapped[str] = mapped_column(String(16), nullable=False, default="free")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    def to_dict(self) -> dict[str, Any]:
        """Public fields (never the hash), as cached and serialized."""
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "role": self.role,
            "tier": self.tier,
            "created_at": _aware(self.created_at),
            "updated_at": _aware(self.updated_at),
        }


REVOCATION_KINDS = ("jti", "sid", "user")
"""What a revocation voids: one token, one login session, or a user's tokens issued until a time."""


class Revocation(db.Model):  # type: ignore[name-defined,misc]
    """One revocation, kept until every token it covers has expired: the record Redis's view
    (``conveyor_web.revocation``) is rebuilt from when Redis loses its data."""

    __tablename__ = "revocations"
    # Ids only grow (never reused on SQLite either): Redis's view names the highest it holds.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    """The token's ``jti``, the session's ``sid``, or the user's id."""
    value: Mapped[str] = mapped_column(String(32), nullable=False)
    """What the Redis key holds: ``1``, or for ``user`` the Unix time tokens must be newer than."""
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    """When the last token this revocation covers expires; the row may go after that."""

    @property
    def expires(self) -> datetime:
        return _aware(self.expires_at)
