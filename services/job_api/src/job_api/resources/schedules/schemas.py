"""Request and response bodies of ``/api/schedules``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from conveyor_core.schedules.cadence import check_cron, check_timezone
from conveyor_web.api import list_args_schema, page_schema

from ..jobs.schemas import MAX_USER_ID, JobFieldsSchema, JobSchema, attach_payload

MAX_INTERVAL_SECONDS = 366 * 24 * 3600
"""Longest ``interval_seconds``: a year (a longer rhythm is a cron expression's job)."""

SORT_FIELDS = ["id", "name", "created_at", "updated_at", "next_run_at", "type", "enabled"]
"""Fields a schedule list may be sorted by."""

_ONE_RHYTHM = "Give exactly one of cron and interval_seconds."


class ScheduleInSchema(JobFieldsSchema):
    """A schedule to create (``PATCH`` takes any subset of the same fields)."""

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    cron = ma.fields.String(
        metadata={"description": "5 fields, or 6 with seconds first, e.g. '*/2 * * * * *'."}
    )
    timezone = ma.fields.String(
        load_default="UTC", metadata={"description": "IANA zone the cron expression runs in."}
    )
    interval_seconds = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_INTERVAL_SECONDS))
    enabled = ma.fields.Boolean(load_default=True)
    catch_up = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "After an outage, one run for the ticks it missed."},
    )

    @ma.validates_schema
    def _rhythm(self, data: dict[str, Any], partial: Any = False, **_kwargs: Any) -> None:
        given = [name for name in ("cron", "interval_seconds") if name in data]
        if len(given) == 2 or (not given and not partial):
            raise ma.ValidationError({"cron": [_ONE_RHYTHM], "interval_seconds": [_ONE_RHYTHM]})
        errors: dict[str, list[str]] = {}
        if "timezone" in data and (problem := check_timezone(data["timezone"])):
            errors["timezone"] = [problem]
        if "cron" in data and (problem := check_cron(data["cron"])):
            errors["cron"] = [problem]
        if errors:
            raise ma.ValidationError(errors)

    @ma.post_load
    def _load_payload(self, data: dict[str, Any], partial: Any = False, **_kw: Any) -> Any:
        # A PATCH's payload is checked against the schedule's type by the route.
        return data if partial else attach_payload(data)


class SchedulePatchSchema(ScheduleInSchema):
    """Changes to a schedule: any subset of its fields (load it with ``partial=True``)."""


class ScheduleSchema(ma.Schema):
    """A schedule, as its owner (or an admin) sees it."""

    id = ma.fields.String()
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    type = ma.fields.String()
    payload = ma.fields.Dict()
    priority = ma.fields.String()
    max_retries = ma.fields.Integer()
    timeout_seconds = ma.fields.Integer(allow_none=True)
    notify_email = ma.fields.Boolean()
    cron = ma.fields.String(allow_none=True)
    timezone = ma.fields.String()
    interval_seconds = ma.fields.Integer(allow_none=True)
    enabled = ma.fields.Boolean()
    catch_up = ma.fields.Boolean()
    next_run_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "The next tick; null while disabled."}
    )
    last_run_at = ma.fields.DateTime(allow_none=True)
    fires = ma.fields.Integer(metadata={"description": "Ticks fired so far."})
    misses = ma.fields.Integer(metadata={"description": "Ticks skipped: nothing ran then."})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ScheduleListArgs(list_args_schema(SORT_FIELDS, "-created_at", name="ScheduleListBase")):  # type: ignore[misc]
    """Paging and sorting of a schedule list; admins may ask for one user's."""

    user_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_USER_ID))


SchedulePageSchema = page_schema(ScheduleSchema, "SchedulePage")
RunSchema = JobSchema
"""``POST /api/schedules/{id}/run`` answers with the job it created."""
