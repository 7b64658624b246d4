"""Bodies of ``/api/queue``."""

from __future__ import annotations

import marshmallow as ma

from ..jobs.schemas import PlaceSchema, progress_of


class QueuedJobSchema(PlaceSchema):
    """One of the caller's waiting or running jobs."""

    id = ma.fields.String()
    type = ma.fields.String()
    status = ma.fields.String()
    priority = ma.fields.String()
    scheduled_for = ma.fields.DateTime(allow_none=True)
    time_queued_seconds = ma.fields.Function(lambda job: job.time_queued())
    time_spent_seconds = ma.fields.Function(lambda job: job.time_spent())
    progress = ma.fields.Function(progress_of)


class UserQueueSchema(ma.Schema):
    """A user's view: their waiting and running jobs, and counts per status."""

    jobs = ma.fields.List(ma.fields.Nested(QueuedJobSchema))
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class WorkerSchema(ma.Schema):
    name = ma.fields.String()
    state = ma.fields.String()
    queues = ma.fields.List(ma.fields.String())
    current_job = ma.fields.String(allow_none=True)
    successful_jobs = ma.fields.Integer()
    failed_jobs = ma.fields.Integer()
    last_heartbeat = ma.fields.DateTime(allow_none=True)


class AdminQueueSchema(ma.Schema):
    """An admin's view: totals per RQ queue, per status and per worker."""

    fair = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Users with queued jobs, and dispatches made so far."},
    )
    queues = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict())
    statuses = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    workers = ma.fields.List(ma.fields.Nested(WorkerSchema))
