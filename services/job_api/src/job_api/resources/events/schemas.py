"""Bodies of ``/api/events``: the token answer, and the payloads of the stream's events."""

from __future__ import annotations

import marshmallow as ma


class StreamTokenSchema(ma.Schema):
    """A stream token: pass it as ``GET /api/events?token=...`` before it expires."""

    token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "stream"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds"})


class StreamArgsSchema(ma.Schema):
    """Query arguments of ``GET /api/events``."""

    token = ma.fields.String(metadata={"description": "A stream token (for EventSource)"})
    # Each part of a Redis stream id is a 64-bit number: 19 digits always fit.
    last_event_id = ma.fields.String(
        validate=ma.validate.Regexp(r"^[0-9]{1,19}-[0-9]{1,19}$", error="Not an event id."),
        metadata={"description": "Resume after this event id (the Last-Event-ID header wins)"},
    )


class ProgressSchema(ma.Schema):
    percent = ma.fields.Float()
    message = ma.fields.String(allow_none=True)


class SnapshotJobSchema(ma.Schema):
    """One queued or running job in a snapshot."""

    id = ma.fields.String()
    type = ma.fields.String()
    status = ma.fields.String()
    priority = ma.fields.String()
    attempts = ma.fields.Integer()
    progress = ma.fields.Nested(ProgressSchema)
    queue_position = ma.fields.Integer(allow_none=True)
    dispatches_ahead = ma.fields.Integer(allow_none=True)
    queued_at = ma.fields.DateTime(allow_none=True)
    time_queued_seconds = ma.fields.Float()
    started_at = ma.fields.DateTime(allow_none=True)
    time_spent_seconds = ma.fields.Float()


class SnapshotSchema(ma.Schema):
    """Data of a ``snapshot`` event: the caller's running jobs first, then queued by place."""

    at = ma.fields.DateTime()
    running = ma.fields.Integer(metadata={"description": "How many jobs are running"})
    queued = ma.fields.Integer(metadata={"description": "How many jobs are queued"})
    truncated = ma.fields.Boolean(metadata={"description": "More jobs exist than are listed"})
    jobs = ma.fields.List(ma.fields.Nested(SnapshotJobSchema))


class JobEventSchema(ma.Schema):
    """Data of a ``job.*`` event (see ``conveyor_core.streams``)."""

    job_id = ma.fields.String()
    job_type = ma.fields.String()
    status = ma.fields.String()
    priority = ma.fields.String()
    attempts = ma.fields.Integer()
    progress = ma.fields.Nested(ProgressSchema)
    error = ma.fields.String(allow_none=True)
    time_spent_seconds = ma.fields.Float()
    scheduled_for = ma.fields.String(allow_none=True)
    finished_at = ma.fields.String(allow_none=True)
    at = ma.fields.String()
