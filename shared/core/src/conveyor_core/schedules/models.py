"""The schedules tables, in the jobs database: one row per recurring job, plus its input.

A schedule holds a job's fields as the job will carry them (the payload already validated
and stored the way a job's is), its cadence, and ``next_run_at``: the tick that fires next.
Firing moves ``next_run_at`` on with a conditional ``UPDATE`` (see :mod:`.firing`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from conveyor_core.jobs.models import Base, UTCDateTime, new_id, utcnow


class Schedule(Base):
    """A job that recurs: on a cron expression in a time zone, or every n seconds."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    # As the caller gave it (None: each job gets the default for its type).
    timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_to: Mapped[str | None] = mapped_column(String(254))
    owner_name: Mapped[str | None] = mapped_column(String(64))
    # The owner's tier when the schedule was last written, for a dispatcher that lost it.
    owner_tier: Mapped[str | None] = mapped_column(String(16))
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The tick that fires next; NULL while disabled.
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fires: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    misses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # The firing loop asks for the enabled schedules that are due, the oldest first.
        Index("ix_schedules_enabled_next_run_at", "enabled", "next_run_at"),
        Index("ix_schedules_user_id_created_at", "user_id", "created_at"),
    )


class ScheduleInput(Base):
    """Binary input (an image) each of the schedule's jobs gets a copy of."""

    __tablename__ = "schedule_inputs"

    schedule_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
