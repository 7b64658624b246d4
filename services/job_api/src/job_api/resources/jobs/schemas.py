"""Request and response bodies of ``/api/jobs``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import validate

from conveyor_core.jobs.models import utcnow
from conveyor_core.jobs.settings import MAX_TIMEOUT_SECONDS
from conveyor_core.jobs.status import PRIORITIES, STATUSES, TYPES
from conveyor_web.api import UserIdList, list_args_schema, page_schema

from ...payloads import load_payload

MAX_DELAY = timedelta(days=30)
"""Furthest in the future a job may be scheduled."""

MAX_BATCH = 1000
"""Most jobs one batch request may submit."""

SORT_FIELDS = ["id", "created_at", "updated_at", "started_at", "finished_at", "status", "type",
               "priority", "attempts"]  # fmt: skip
"""Fields a job list may be sorted by."""

MAX_USER_ID = 2**31 - 1
"""Largest value ``jobs.user_id`` holds (a 32-bit INTEGER on PostgreSQL): a larger filter
would overflow the driver (a 500) instead of being refused."""


class JobFieldsSchema(ma.Schema):
    """What a job is: its type, payload and handling (a schedule's jobs have them too)."""

    OPENAPI: ClassVar[dict[str, Any]] = {"not": {"required": ["delay_seconds", "run_at"]}}

    type = ma.fields.String(required=True, validate=validate.OneOf(TYPES))
    payload = ma.fields.Dict(required=True)
    priority = ma.fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    max_retries = ma.fields.Integer(load_default=3, validate=validate.Range(min=0, max=10))
    timeout_seconds = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_TIMEOUT_SECONDS))
    notify_email = ma.fields.Boolean(load_default=False)


def attach_payload(data: dict[str, Any]) -> dict[str, Any]:
    """Validate ``data["payload"]`` for ``data["type"]`` into ``data["loaded"]``; a bad one
    is a ``ValidationError`` under ``payload``."""
    try:
        data["loaded"] = load_payload(data["type"], data["payload"])
    except ma.ValidationError as error:
        raise ma.ValidationError({"payload": error.messages}) from None
    return data


class SubmitSchema(JobFieldsSchema):
    """One job to submit."""

    delay_seconds = ma.fields.Integer(
        validate=validate.Range(min=0, max=int(MAX_DELAY.total_seconds()))
    )
    run_at = ma.fields.AwareDateTime(default_timezone=None)

    @ma.validates_schema
    def _one_delay(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "delay_seconds" in data and "run_at" in data:
            raise ma.ValidationError("Give delay_seconds or run_at, not both.", "run_at")
        if "run_at" in data and data["run_at"] > utcnow() + MAX_DELAY:
            raise ma.ValidationError("Must be within 30 days.", "run_at")

    @ma.post_load
    def _load_payload(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        attach_payload(data)
        if "delay_seconds" in data:
            data["run_at"] = utcnow() + timedelta(seconds=data.pop("delay_seconds"))
        return data


class BatchSchema(ma.Schema):
    """Up to 1,000 jobs, accepted all together or not at all."""

    jobs = ma.fields.List(
        ma.fields.Nested(SubmitSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )


def progress_of(job: Any) -> dict[str, Any]:
    """A job's progress as answers show it. A plain function, not a nested schema: it runs
    once per job of every answer (a thousand in a batch's), and a schema's dump costs ten
    times as much."""
    return {"percent": job.progress_percent, "message": job.progress_message}


class ArtifactSchema(ma.Schema):
    name = ma.fields.String(attribute="artifact_name")
    media_type = ma.fields.String(attribute="artifact_type")
    size = ma.fields.Integer(attribute="artifact_size")
    url = ma.fields.Function(lambda job: f"/api/jobs/{job.id}/result")


_ARTIFACT = ArtifactSchema()


class PlaceSchema(ma.Schema):
    """Where a queued job stands (set by ``access.with_positions``)."""

    queue_position = ma.fields.Function(
        lambda job: getattr(job, "queue_position", None),
        metadata={"description": "While queued: place in the owner's own line (1 = next)."},
    )
    dispatches_ahead = ma.fields.Function(
        lambda job: getattr(job, "dispatches_ahead", None),
        metadata={
            "description": "While queued: estimated jobs (all users) dispatched first; "
            "not estimated in a submission's answer (GET the job for it)."
        },
    )


class JobSchema(PlaceSchema):
    """A job, as its owner (or an admin) sees it."""

    id = ma.fields.String()
    user_id = ma.fields.Integer()
    type = ma.fields.String()
    payload = ma.fields.Dict()
    status = ma.fields.String()
    priority = ma.fields.String()
    progress = ma.fields.Function(progress_of)
    result = ma.fields.Raw(allow_none=True)
    error = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer()
    max_retries = ma.fields.Integer()
    timeout_seconds = ma.fields.Integer()
    notify_email = ma.fields.Boolean()
    cancel_requested = ma.fields.Boolean()
    created_at = ma.fields.DateTime()
    scheduled_for = ma.fields.DateTime(allow_none=True)
    queued_at = ma.fields.DateTime(allow_none=True)
    started_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    time_spent_seconds = ma.fields.Function(lambda job: job.time_spent())
    time_queued_seconds = ma.fields.Function(lambda job: job.time_queued())
    artifact = ma.fields.Function(lambda job: _ARTIFACT.dump(job) if job.artifact_name else None)
    schedule_id = ma.fields.String(allow_none=True)
    tick = ma.fields.DateTime(
        allow_none=True, metadata={"description": "The schedule's tick this job fired for."}
    )


class BatchResultSchema(ma.Schema):
    jobs = ma.fields.List(ma.fields.Nested(JobSchema))


class JobListArgs(list_args_schema(SORT_FIELDS, "-created_at", name="JobListBase")):  # type: ignore[misc]
    """Filters of a job list, with paging and sorting."""

    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    type = ma.fields.String(validate=validate.OneOf(TYPES))
    user_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_USER_ID))
    schedule_id = ma.fields.String(
        validate=validate.Regexp(r"^[0-9a-f-]{36}$", error="Must be a schedule id.")
    )
    user_ids = UserIdList(
        metadata={
            "description": "Only these users' jobs: comma-separated ids, at most 100 (an admin "
            "may name anyone; anyone else sees only their own). page, per_page and sort then "
            "apply to each user's list: items holds each user's page in turn (by user id), "
            "totals each user's count, pages the most any of them has."
        }
    )


class JobPageSchema(page_schema(JobSchema, "JobPageBase")):  # type: ignore[misc]
    """A page of jobs; with ``user_ids``, one page of each user's."""

    totals = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "With user_ids only: each named user's number of jobs."},
    )
