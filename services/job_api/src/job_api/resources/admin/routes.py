"""Routes of ``/api/admin``: admin-only figures over every user's jobs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import jwt_required

from conveyor_core.fair import Dispatcher
from conveyor_core.jobs.models import utcnow
from conveyor_web.api import Blueprint
from conveyor_web.auth import current_principal
from conveyor_web.errors import Forbidden
from conveyor_web.redis_client import get_redis

from ...extensions import db
from . import bulk, stats, tiers
from .schemas import StatsArgs, StatsSchema, TiersSchema

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Operator figures")


def admin_only(
    arguments: type[ma.Schema], response: type[ma.Schema], location: str = "json"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document and guard an admin route: a signed-in admin, ``arguments`` in, ``response`` out."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_principal().is_admin:
                raise Forbidden("Only admins may do this.")
            return view(*args, **kwargs)

        guarded = blp.alt_response(403, description="Not an admin")(checked)
        guarded = blp.response(200, response)(guarded)
        guarded = blp.arguments(arguments, location=location)(guarded)
        return jwt_required()(blp.login_required(guarded))

    return decorate


@blp.route("/stats")
class Stats(MethodView):
    @admin_only(StatsArgs, StatsSchema, "query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Throughput (completed and failed per minute) and wait p50/p95, all users (admins)"""
        return stats.collect(db.session, utcnow(), args["minutes"])


@blp.route("/tiers")
class Tiers(MethodView):
    @admin_only(StatsArgs, TiersSchema, "query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per tier: job totals, backlog, and worker time delivered vs promised (admins)"""
        weights = current_app.config["TIER_WEIGHTS"]
        dispatcher = Dispatcher(get_redis(), {})
        return tiers.collect(db.session, dispatcher, weights, utcnow(), args["minutes"])


@blp.route("/jobs/retry")
class BulkRetry(MethodView):
    @admin_only(bulk.BulkFilter, bulk.BulkResultSchema)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Retry every failed job matching the filter, all users (admins; 1,000 per call)"""
        return bulk.retry_failed(db.session, wanted)


@blp.route("/jobs/cancel")
class BulkCancel(MethodView):
    @admin_only(bulk.BulkFilter, bulk.BulkResultSchema)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Cancel every queued job matching the filter, all users (admins; 1,000 per call)"""
        return bulk.cancel_queued(db.session, wanted)
