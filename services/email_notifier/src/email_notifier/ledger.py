"""The sent-mail ledger: one SQL row per event key, so no event is emailed twice.

A row moves ``claimed`` (rendering, connecting) → ``sending`` (the message is being handed to
the SMTP server) → ``sent``. An attempt owns the row through a lease (``owner`` plus
``lease_until``); a later attempt may take the row over only once the lease has run out. A
running attempt renews its lease every third of its length (``tasks.py``), so the lease runs
out only when that attempt has ended or its process died or stalled for longer than the lease;
and an attempt whose row was taken over finds out before DATA (``mark_sending``), so two
attempts both hand the message over only if one stalls in DATA for longer than the lease.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    Row,
    String,
    Table,
    create_engine,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from conveyor_core import sql
from conveyor_core.exceptions import ConfigurationError

from .exceptions import DeliveryInProgress

CLAIMED = "claimed"
"""An attempt owns the key and has not started handing the message over yet."""

SENDING = "sending"
"""The message is being handed to the SMTP server; a crash here leaves the outcome unknown."""

SENT = "sent"
"""The SMTP server accepted the message; the key is never sent again."""

VERSION_TABLE = "alembic_version_notifier"
"""Where Alembic records the ledger's revision (its own table: the ledger may share a
database with another package's migrations)."""


class Base(DeclarativeBase):
    """Declarative base of the ledger's database (the shared naming convention)."""

    metadata = sql.metadata()


class SentMail(Base):
    """One email key's delivery: who holds it, how far it got, when it was sent."""

    __tablename__ = "sent_mail"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer)
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


metadata = Base.metadata
sent_mail = cast(Table, SentMail.__table__)
"""The table itself: the ledger's claims and updates are conditional Core statements."""


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; every value we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Claim:
    """The right to send one key, held until ``mark_sent`` or ``release``."""

    key: str
    owner: str
    attempts: int
    previous_state: str | None
    """State the row was taken over from (``sending`` means the last attempt may have sent)."""


class Ledger:
    """Claims, and records the outcome of, each delivery in the ``sent_mail`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Ledger:
        """Open the ledger at ``url``, creating a SQLite file's folder when needed."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        return cls(create_engine(url, pool_pre_ping=True))

    def check_schema(self) -> None:
        """Fail at start, not on the first delivery, when the table was never migrated."""
        if not inspect(self.engine).has_table(sent_mail.name):
            raise ConfigurationError(
                "the sent-mail ledger has no table: run "
                "`python -m conveyor_core.migrate email_notifier` (make migrate)"
            )

    def get(self, key: str) -> Row | None:
        """Return the ledger row of ``key``, if any."""
        with self.engine.connect() as connection:
            return connection.execute(select(sent_mail).where(sent_mail.c.key == key)).first()

    def claim(
        self, key: str, *, recipient: str, template: str, message_id: str, lease_seconds: float
    ) -> Claim | None:
        """Take the right to send ``key``; ``None`` when it was already sent.

        Raises :class:`DeliveryInProgress` while another attempt's lease is still running.
        """
        now = _now()
        owner = uuid.uuid4().hex
        lease_until = now + timedelta(seconds=lease_seconds)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(sent_mail).values(
                        key=key,
                        recipient=recipient,
                        template=template,
                        message_id=message_id,
                        state=CLAIMED,
                        owner=owner,
                        attempts=1,
                        lease_until=lease_until,
                        created_at=now,
                    )
                )
            return Claim(key, owner, 1, None)
        except IntegrityError:
            pass  # the key has been seen before: sent, in progress, or abandoned
        with self.engine.begin() as connection:
            row = connection.execute(select(sent_mail).where(sent_mail.c.key == key)).first()
            if row is None:
                raise DeliveryInProgress(f"{key}: ledger row vanished during claim")
            if row.state == SENT:
                return None
            if _aware(row.lease_until) > now:
                raise DeliveryInProgress(
                    f"{key}: leased by another attempt until {row.lease_until}"
                )
            # Compare-and-set on the old owner: of two attempts taking over, one wins.
            taken = connection.execute(
                update(sent_mail)
                .where(
                    sent_mail.c.key == key,
                    sent_mail.c.owner == row.owner,
                    sent_mail.c.state == row.state,
                )
                .values(
                    owner=owner, state=CLAIMED, attempts=row.attempts + 1, lease_until=lease_until
                )
            )
            if taken.rowcount != 1:
                raise DeliveryInProgress(f"{key}: another attempt took the lease first")
        return Claim(key, owner, row.attempts + 1, row.state)

    def _set(self, claim: Claim, **values: object) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(sent_mail)
                .where(sent_mail.c.key == claim.key, sent_mail.c.owner == claim.owner)
                .values(**values)
            )
            return result.rowcount == 1

    def mark_sending(self, claim: Claim) -> bool:
        """Record that the message is about to be handed over (False: the lease was lost)."""
        return self._set(claim, state=SENDING)

    def mark_sent(self, claim: Claim) -> bool:
        """Record that the SMTP server accepted the message (False: the lease was lost)."""
        return self._set(claim, state=SENT, sent_at=_now())

    def renew(self, claim: Claim, lease_seconds: float) -> bool:
        """Extend the lease of a running attempt (False: the lease was lost)."""
        return self._set(claim, lease_until=_now() + timedelta(seconds=lease_seconds))

    def end_lease(self, claim: Claim) -> bool:
        """End the lease early after a failed attempt so the retry need not wait for it."""
        return self._set(claim, lease_until=_now())
