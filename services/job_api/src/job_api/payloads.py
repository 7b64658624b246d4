"""One marshmallow schema per job type: a bad payload is a 422 at submission, never a
failed job. Each ``load_payload`` returns what is stored on the row (JSON-safe) and, for
images, the decoded bytes that are stored beside it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import validate

from conveyor_core.jobs import images
from conveyor_core.jobs.status import STATUSES, TYPES

MAX_OPERATIONS = 20
"""Most operations one image job may chain."""

MAX_SIDE = 10_000
"""Largest width or height an operation may ask for."""


class TimedPayload(ma.Schema):
    """Work for ``duration_seconds``, failing the first ``fail_attempts`` attempts."""

    duration_seconds = ma.fields.Float(
        required=True, validate=validate.Range(min=0, max=3600), allow_nan=False
    )
    fail_attempts = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))


def _one_line(value: str) -> None:
    # A line break in a subject could smuggle extra mail headers.
    if "\r" in value or "\n" in value:
        raise ma.ValidationError("Must be a single line.")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _mail_text(value: str) -> None:
    # No mail may carry NUL or other control characters (RFC 5322): an SMTP server would
    # refuse the message long after the job was accepted. Tabs and line breaks are text.
    if _CONTROL.search(value):
        raise ma.ValidationError("Must not contain control characters.")


class EmailPayload(ma.Schema):
    """Send one email (non-admins: only to their own address, checked by the route)."""

    to = ma.fields.Email(required=True, validate=validate.Length(max=254))
    subject = ma.fields.String(
        required=True, validate=[validate.Length(min=1, max=200), _one_line, _mail_text]
    )
    body = ma.fields.String(
        required=True, validate=[validate.Length(min=1, max=20_000), _mail_text]
    )


_SIDE = validate.Range(min=1, max=MAX_SIDE)
_EDGE = validate.Range(min=0, max=MAX_SIDE)
OPERATION_FIELDS: dict[str, dict[str, ma.fields.Field]] = {
    "resize": {"width": ma.fields.Integer(required=True, validate=_SIDE),
               "height": ma.fields.Integer(required=True, validate=_SIDE)},
    "thumbnail": {"width": ma.fields.Integer(required=True, validate=_SIDE),
                  "height": ma.fields.Integer(required=True, validate=_SIDE)},
    "grayscale": {},
    "rotate": {"degrees": ma.fields.Float(required=True, allow_nan=False,
                                          validate=validate.Range(min=-360, max=360))},
    "blur": {"radius": ma.fields.Float(required=True, allow_nan=False,
                                       validate=validate.Range(min=0, max=50))},
    "crop": {name: ma.fields.Integer(required=True, validate=_EDGE)
             for name in ("left", "top", "right", "bottom")},
}  # fmt: skip
"""Parameters of each image operation."""

OPERATION_SCHEMAS = {
    name: ma.Schema.from_dict(
        {"op": ma.fields.String(required=True), **fields}, name=f"{name.title()}Operation"
    )
    for name, fields in OPERATION_FIELDS.items()
}


class Operation(ma.fields.Field):
    """One image operation, validated by the schema its ``op`` names."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ma.ValidationError("Must be an object with an 'op'.")
        name = value.get("op")
        # A list or object is unhashable: check the type before looking the name up.
        if not isinstance(name, str) or name not in OPERATION_SCHEMAS:
            raise ma.ValidationError({"op": [f"Must be one of: {', '.join(OPERATION_FIELDS)}."]})
        return OPERATION_SCHEMAS[name]().load(value)


class ImagePayload(ma.Schema):
    """Process a base64 PNG/JPEG/WebP image with Pillow; the output is the artifact."""

    image = ma.fields.String(required=True)
    operations = ma.fields.List(
        Operation(), required=True, validate=validate.Length(min=1, max=MAX_OPERATIONS)
    )
    format = ma.fields.String(load_default="png", validate=validate.OneOf(images.OUTPUT_FORMATS))


class UTCDateTime(ma.fields.AwareDateTime):
    """An aware date-time, turned to UTC as it loads.

    The worker compares it with UTC columns; a moment whose UTC form falls outside years
    1-9999 (``0001-01-01T00:00:00+01:00``) would fail the job there, so it is refused here.
    """

    default_error_messages = {"range": "Must fall within years 1 to 9999 in UTC."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=None, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None


class ExportFilters(ma.Schema):
    """Which of the caller's jobs an export includes."""

    status = ma.fields.List(ma.fields.String(validate=validate.OneOf(STATUSES)))
    type = ma.fields.List(ma.fields.String(validate=validate.OneOf(TYPES)))
    created_after = UTCDateTime()
    created_before = UTCDateTime()


class ExportPayload(ma.Schema):
    """Write the caller's own data set to a file artifact."""

    dataset = ma.fields.String(required=True, validate=validate.OneOf(["jobs"]))
    format = ma.fields.String(load_default="csv", validate=validate.OneOf(["csv", "json", "jsonl"]))
    filters = ma.fields.Nested(ExportFilters, load_default=dict)


SCHEMAS: dict[str, type[ma.Schema]] = {
    "timed": TimedPayload,
    "email": EmailPayload,
    "image": ImagePayload,
    "export": ExportPayload,
}
assert set(SCHEMAS) == set(TYPES)

# One instance per type: building a schema costs twice what loading a payload does.
_LOADERS = {job_type: schema() for job_type, schema in SCHEMAS.items()}


@dataclass(frozen=True)
class Loaded:
    """A validated payload as stored, plus any binary input kept beside the row."""

    payload: dict[str, Any]
    blob: bytes | None = None


def _load_image(data: dict[str, Any]) -> Loaded:
    try:
        raw = images.decode_base64(data["image"])
        with images.open_bounded(raw) as image:
            source_format, (width, height) = image.format, image.size
        images.plan(width, height, data["operations"])
    except images.ImageRejected as error:
        field = "operations" if str(error).startswith("Operation") else "image"
        raise ma.ValidationError({field: [str(error)]}) from None
    summary = {"format": source_format, "width": width, "height": height, "bytes": len(raw)}
    return Loaded({**data, "image": summary}, blob=raw)


def load_payload(job_type: str, data: Any) -> Loaded:
    """Validate ``data`` for ``job_type``; raise ``ValidationError`` keyed by payload field."""
    loaded = _LOADERS[job_type].load(data)
    if job_type == "image":
        return _load_image(loaded)
    if job_type == "export":
        filters = loaded["filters"]
        for name in ("created_after", "created_before"):
            if name in filters:
                filters[name] = filters[name].isoformat()
    return Loaded(loaded)
