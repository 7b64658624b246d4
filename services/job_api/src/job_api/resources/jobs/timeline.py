"""``GET /api/jobs/{id}/events``: a job's timeline, read from its owner's event stream.

The stream (``conveyor_core.streams``) is what ``/api/events`` relays live, so the timeline
shows the same state changes a watching browser saw, with the stream's own times. It keeps
about the last 1,000 events of each user for 24 h: ``complete`` says whether it still holds
the job's first event (the job row keeps the durable times either way). Progress events
are left out: a timeline of state changes, not of every percent.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from conveyor_core import streams
from conveyor_web.redis_client import get_redis

from ...access import end_transaction, get_job
from .routes import blp

MOST_READ = 2 * streams.STREAM_MAXLEN
"""Most stream entries one timeline reads (trimming is approximate, so a little over 1,000)."""


_SHOWN = ("at", "status", "attempts", "error")
"""What each timeline entry shows of its event's data."""

_FIRST_TYPES = (streams.JOB_QUEUED, streams.JOB_SCHEDULED)


class TimelineEventSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "The stream id (as in /api/events)."})
    type = ma.fields.String(metadata={"description": "job.queued, job.started, job.failed, …"})
    at = ma.fields.String(allow_none=True)
    status = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True)


class TimelineSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TimelineEventSchema))
    complete = ma.fields.Boolean(
        metadata={"description": "False when older events of the job are no longer kept."}
    )


def _since_id(milliseconds: int) -> str:
    """The stream id just before ``milliseconds``: a read after it starts at that time."""
    return f"{max(milliseconds - 1, 0)}-0"


def timeline(connection: Any, user_id: int, job_id: str, created_ms: int) -> dict[str, Any]:
    """Return ``job_id``'s state-change events (oldest first) and whether none was trimmed."""
    found = streams.read(connection, user_id, _since_id(created_ms), count=MOST_READ)
    items = [
        {"id": event.id, "type": event.type, **{name: event.data.get(name) for name in _SHOWN}}
        for event in found
        if event.data.get("job_id") == job_id and event.type != streams.JOB_PROGRESS
    ]
    # Trimming drops the oldest entries first, so the timeline is whole while the job's first
    # event (queued or scheduled at submission, before any attempt) is still there.
    first = items[0] if items else {}
    complete = first.get("type") in _FIRST_TYPES and first.get("attempts") == 0
    return {"items": items, "complete": complete}


@blp.route("/<job_id:job_id>/events")
class JobTimeline(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, TimelineSchema)
    def get(self, job_id: str) -> dict[str, Any]:
        """A job's state changes, oldest first, from its owner's recent events"""
        job = get_job(job_id)
        user_id, created_ms = job.user_id, int(job.created_at.timestamp() * 1000)
        end_transaction()
        return timeline(get_redis(), user_id, job.id, created_ms)
