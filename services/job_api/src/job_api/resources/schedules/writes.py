"""Creating and changing schedules: the job fields checked as a submission checks them, the
rhythm turned into ``next_run_at``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_jwt_extended import get_jwt
from sqlalchemy import func, select

from conveyor_core.jobs.models import utcnow
from conveyor_core.schedules.firing import cadence_of
from conveyor_core.schedules.models import Schedule, ScheduleInput
from conveyor_web.auth import Principal, current_principal
from conveyor_web.errors import Conflict, NotFound, Unprocessable

from ...access import is_job_id
from ...extensions import db
from ...payloads import Loaded
from ...submission import check_caller
from ..jobs.schemas import attach_payload

RHYTHM_FIELDS = ("cron", "timezone", "interval_seconds", "enabled")
"""Fields whose change moves ``next_run_at``."""

PLAIN_FIELDS = ("name", "priority", "max_retries", "timeout_seconds", "cron", "timezone",
                "interval_seconds", "enabled", "catch_up")  # fmt: skip
"""Fields copied onto the row as given."""


def get_schedule(schedule_id: str) -> Schedule:
    """Load one schedule the caller may see, or raise :class:`NotFound` (another user's too).
    Schedule ids have the form of job ids: anything else stays out of SQL."""
    principal = current_principal()
    schedule = db.session.get(Schedule, schedule_id) if is_job_id(schedule_id) else None
    if schedule is None or (schedule.user_id != principal.id and not principal.is_admin):
        raise NotFound("Schedule not found.")
    return schedule


def _check_caller(spec: dict[str, Any], principal: Principal) -> None:
    errors = check_caller(spec, principal, get_jwt())
    if errors:
        raise Unprocessable("The request is not valid.", errors=errors)


def _owner_details(schedule: Schedule, principal: Principal) -> None:
    """Copy what the owner's token says (address, name, tier) onto the row, if the caller
    is the owner: an admin's edit keeps the owner's."""
    if principal.id != schedule.user_id:
        return
    claims = get_jwt()
    schedule.notify_to = claims.get("email") if schedule.notify_email else None
    schedule.owner_name = claims.get("username")
    schedule.owner_tier = principal.tier or None


def _set_input(schedule: Schedule, blob: bytes | None) -> None:
    stored = db.session.get(ScheduleInput, schedule.id)
    if stored is not None:
        db.session.delete(stored)
        db.session.flush()
    if blob is not None:
        db.session.add(ScheduleInput(schedule_id=schedule.id, data=blob))


def _schedule_next(schedule: Schedule) -> None:
    schedule.next_run_at = cadence_of(schedule).next_after(utcnow()) if schedule.enabled else None


def create(spec: dict[str, Any]) -> Schedule:
    """Store a new schedule for the caller; 409 past the per-user limit."""
    principal = current_principal()
    _check_caller(spec, principal)
    limit = int(current_app.config["SCHEDULES_PER_USER"])
    owned = db.session.scalar(
        select(func.count()).select_from(Schedule).where(Schedule.user_id == principal.id)
    )
    if int(owned or 0) >= limit:
        raise Conflict(f"You have {limit} schedules, the most allowed; delete one first.")
    schedule = Schedule(user_id=principal.id, type=spec["type"],
                        payload=spec["loaded"].payload, notify_email=spec["notify_email"],
                        fires=0, misses=0)  # fmt: skip
    for name in PLAIN_FIELDS:
        setattr(schedule, name, spec.get(name))
    _owner_details(schedule, principal)
    _schedule_next(schedule)
    db.session.add(schedule)
    db.session.flush()  # the id, for the input's row
    _set_input(schedule, spec["loaded"].blob)
    db.session.commit()
    return schedule


def update(schedule: Schedule, changes: dict[str, Any]) -> Schedule:
    """Apply a ``PATCH``: the job fields checked as at creation, ``next_run_at`` recomputed
    when the rhythm changed."""
    principal = current_principal()
    if "type" in changes and "payload" not in changes and changes["type"] == schedule.type:
        changes.pop("type")  # the same type: the stored payload stays valid
    if "type" in changes or "payload" in changes:
        merged = {"type": changes.get("type", schedule.type),
                  "payload": changes.get("payload", schedule.payload)}  # fmt: skip
        try:
            changes["loaded"] = attach_payload(merged)["loaded"]
        except ma.ValidationError as error:
            raise Unprocessable("The request is not valid.", errors=error.messages) from None
    notify = changes.get("notify_email", schedule.notify_email)
    if "loaded" in changes or (notify and not schedule.notify_email):
        spec = {"type": changes.get("type", schedule.type), "notify_email": notify,
                "loaded": changes.get("loaded", Loaded(schedule.payload))}  # fmt: skip
        _check_caller(spec, principal)
    if "cron" in changes:
        schedule.interval_seconds = None
    if "interval_seconds" in changes:
        schedule.cron = None
    for name in (*PLAIN_FIELDS, "type", "notify_email"):
        if name in changes:
            setattr(schedule, name, changes[name])
    if "loaded" in changes:
        schedule.payload = changes["loaded"].payload
        _set_input(schedule, changes["loaded"].blob)
    _owner_details(schedule, principal)
    if any(name in changes for name in RHYTHM_FIELDS):
        _schedule_next(schedule)
    db.session.commit()
    return schedule
