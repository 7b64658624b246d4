"""Request and response bodies of ``/api/admin``."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

MAX_MINUTES = 24 * 60
"""Longest window the stats cover (one row per minute)."""


class StatsArgs(ma.Schema):
    minutes = ma.fields.Integer(load_default=60, validate=validate.Range(min=1, max=MAX_MINUTES))


class MinuteSchema(ma.Schema):
    minute = ma.fields.DateTime()
    completed = ma.fields.Integer()
    failed = ma.fields.Integer()
    started = ma.fields.Integer()
    wait_p50_seconds = ma.fields.Float(allow_none=True)
    wait_p95_seconds = ma.fields.Float(allow_none=True)


class StatsSchema(ma.Schema):
    since = ma.fields.DateTime()
    until = ma.fields.DateTime()
    minutes = ma.fields.Integer()
    completed = ma.fields.Integer()
    failed = ma.fields.Integer()
    wait_p50_seconds = ma.fields.Float(allow_none=True)
    wait_p95_seconds = ma.fields.Float(allow_none=True)
    series = ma.fields.List(ma.fields.Nested(MinuteSchema))


class ShareSchema(ma.Schema):
    """Worker time in the window, and its share beside the share the tier weights promise."""

    worker_seconds = ma.fields.Float()
    delivered_share = ma.fields.Float(allow_none=True)
    promised_share = ma.fields.Float(allow_none=True)


class TierSchema(ShareSchema):
    tier = ma.fields.String()
    weight = ma.fields.Integer()
    users_with_work = ma.fields.Integer(
        metadata={"description": "Users who got worker time in the window or have jobs queued."}
    )
    backlog = ma.fields.Integer(metadata={"description": "Jobs queued now."})
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class BusyUserSchema(ShareSchema):
    user_id = ma.fields.Integer()
    tier = ma.fields.String()


class TiersSchema(ma.Schema):
    since = ma.fields.DateTime()
    until = ma.fields.DateTime()
    minutes = ma.fields.Integer()
    worker_seconds = ma.fields.Float()
    tiers = ma.fields.List(ma.fields.Nested(TierSchema))
    busiest_users = ma.fields.List(ma.fields.Nested(BusyUserSchema))
