"""Routes of ``/api/admin``: admin-only figures over every user's jobs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import abort
from marshmallow import validate

from conveyor_shared.api import Blueprint
from conveyor_shared.auth import current_principal
from conveyor_shared.jobs.models import utcnow

from ...extensions import db
from . import bulk, stats

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Operator figures")

MAX_MINUTES = 24 * 60
"""Longest window the stats cover (one row per minute)."""


def require_admin() -> None:
    if not current_principal().is_admin:
        abort(403, message="Only admins may do this.")


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


@blp.route("/stats")
class Stats(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, StatsSchema)
    @blp.alt_response(403, description="Not an admin")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Throughput (completed and failed per minute) and wait p50/p95, all users (admins)"""
        require_admin()
        return stats.collect(db.session, utcnow(), args["minutes"])


@blp.route("/jobs/retry")
class BulkRetry(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(bulk.BulkFilter)
    @blp.response(200, bulk.BulkResultSchema)
    @blp.alt_response(403, description="Not an admin")
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Retry every failed job matching the filter, all users (admins; 1,000 per call)"""
        require_admin()
        return bulk.retry_failed(db.session, wanted)


@blp.route("/jobs/cancel")
class BulkCancel(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(bulk.BulkFilter)
    @blp.response(200, bulk.BulkResultSchema)
    @blp.alt_response(403, description="Not an admin")
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Cancel every queued job matching the filter, all users (admins; 1,000 per call)"""
        require_admin()
        return bulk.cancel_queued(db.session, wanted)
