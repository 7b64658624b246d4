"""The jobs database: one row per job (the durable truth) and its stored input."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column
from sqlalchemy.types import TypeDecorator

from conveyor_core import sql
from conveyor_core.clock import utcnow


def new_id() -> str:
    """Return a new job or run id (a random UUID: not guessable, valid as an RQ job id)."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC (SQLite has no time zones) and always hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base of every table in the jobs database (job-api adds its own)."""

    metadata = sql.metadata()


class Job(Base):
    """One submitted job: what to do, for whom, and everything that happened to it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    type: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    progress_percent: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    # ``attempts`` when the job was last retried by hand: automatic retries count from here.
    retry_floor: Mapped[int] = mapped_column(Integer, default=0)
    # Runs restarted because their worker died; bounded so a job that kills workers stops.
    recoveries: Mapped[int] = mapped_column(Integer, default=0)
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_to: Mapped[str | None] = mapped_column(String(254))
    # The outbox of the job_finished email: set in the transaction that ends a job whose
    # owner asked for one, cleared once the email is on the notifier's queue.
    email_owed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    owner_name: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    # The RQ job id of the current run; a delivery carrying another run id is stale.
    run_id: Mapped[str | None] = mapped_column(String(36))
    worker_name: Mapped[str | None] = mapped_column(String(128))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds spent waiting in a queue and running, summed over ended attempts.
    wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    run_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    artifact_name: Mapped[str | None] = mapped_column(String(128))
    artifact_type: Mapped[str | None] = mapped_column(String(64))
    artifact_size: Mapped[int | None] = mapped_column(Integer)
    # A schedule's job: which schedule, and the tick it fired for (None for a run asked for
    # by hand). No foreign key: the jobs outlive a deleted schedule.
    schedule_id: Mapped[str | None] = mapped_column(String(36))
    tick: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One job per tick, whatever the number of firing processes (see schedules.firing).
        UniqueConstraint("schedule_id", "tick"),
        Index("ix_jobs_user_id_status", "user_id", "status"),
        Index("ix_jobs_status_queued_at", "status", "queued_at"),
        Index("ix_jobs_user_id_created_at", "user_id", "created_at"),
        # A worker claims by run id: the fair dispatcher hands it the RQ job id, nothing else.
        Index("ix_jobs_run_id", "run_id"),
        # The sweep looks for owed emails, the oldest first.
        Index("ix_jobs_email_owed_finished_at", "email_owed", "finished_at"),
    )

    def time_spent(self, now: datetime | None = None) -> float:
        """Seconds run so far, counting the current attempt while it runs."""
        spent = self.run_seconds or 0.0
        if self.status == "running" and self.started_at is not None:
            spent += max(((now or utcnow()) - self.started_at).total_seconds(), 0.0)
        return round(spent, 3)

    def time_queued(self, now: datetime | None = None) -> float:
        """Seconds waited in a queue so far, counting the current wait."""
        waited = self.wait_seconds or 0.0
        if self.status == "queued" and self.queued_at is not None:
            waited += max(((now or utcnow()) - self.queued_at).total_seconds(), 0.0)
        return round(waited, 3)


def job_of(values: Mapping[Any, Any]) -> Job:
    """A new, unattached :class:`Job` holding ``values`` as the ORM's own loading holds a
    row's: straight in the instance's ``__dict__``. ``Job(**values)`` sends each value
    through attribute events, ~100 µs a row against a few µs: it counts twice per job in a
    worker and a thousand times in a batch. A session given it (``session.add``) inserts
    those values as it would a constructed job's; columns left out read ``None``."""
    if not Job.__mapper__.configured:  # as the first Job() would (its attributes need it)
        configure_mappers()
    job: Job = Job.__mapper__.class_manager.new_instance()
    job.__dict__.update(values)
    return job


class JobInput(Base):
    """Large binary input of a job (an image), kept out of the row that lists read."""

    __tablename__ = "job_inputs"

    job_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
