"""Routes of ``/api/schedules``: recurring jobs (see ``conveyor_core.schedules``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from sqlalchemy import delete, select

from conveyor_core.jobs.models import utcnow
from conveyor_core.schedules.firing import build_job, job_input
from conveyor_core.schedules.models import Schedule
from conveyor_web.api import Blueprint, order_by, paginate
from conveyor_web.auth import Principal, current_principal
from conveyor_web.errors import NotFound

from ... import group_commit, submission
from ...access import end_transaction
from ...extensions import db
from ..jobs.rendering import SCHEMA as JOB_SCHEMA
from . import writes
from .schemas import (
    RunSchema,
    ScheduleInSchema,
    ScheduleListArgs,
    SchedulePageSchema,
    SchedulePatchSchema,
    ScheduleSchema,
)

blp = Blueprint(
    "schedules", __name__, url_prefix="/api/schedules", description="Recurring jobs (cron)"
)

_SCHEDULE = ScheduleSchema()


def _answer(schedule: Schedule, status: int = 200) -> Response:
    response = jsonify(_SCHEDULE.dump(schedule))
    response.status_code = status
    if status == 201:
        response.headers["Location"] = f"/api/schedules/{schedule.id}"
    return response


@blp.route("")
class Schedules(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(ScheduleListArgs, location="query")
    @blp.response(200, SchedulePageSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """List the caller's schedules (admins: everyone's, or one user's with user_id)"""
        principal = current_principal()
        query = select(Schedule)
        if not principal.is_admin:
            query = query.where(Schedule.user_id == principal.id)
        if args.get("user_id") is not None:
            query = query.where(Schedule.user_id == args["user_id"])
        query = query.order_by(*order_by(Schedule, args["sort"]))
        envelope = paginate(db.session, query, args["page"], args["per_page"])
        envelope["items"] = _SCHEDULE.dump(envelope["items"], many=True)
        return jsonify(envelope)

    @jwt_required()
    @blp.login_required
    @blp.arguments(ScheduleInSchema())
    @blp.response(201, ScheduleSchema)
    @blp.alt_response(409, description="The caller already has the most schedules allowed")
    @blp.alt_response(422, description="Invalid job fields, cron, time zone or interval")
    def post(self, spec: dict[str, Any]) -> Response:
        """Create a schedule"""
        return _answer(writes.create(spec), 201)


@blp.route("/<string:schedule_id>")
class ScheduleItem(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, ScheduleSchema)
    @blp.alt_response(404, description="No such schedule")
    def get(self, schedule_id: str) -> Response:
        """Get one schedule"""
        return _answer(writes.get_schedule(schedule_id))

    @jwt_required()
    @blp.login_required
    @blp.arguments(SchedulePatchSchema(partial=True))
    @blp.response(200, ScheduleSchema)
    @blp.alt_response(404, description="No such schedule")
    @blp.alt_response(422, description="Invalid job fields, cron, time zone or interval")
    def patch(self, changes: dict[str, Any], schedule_id: str) -> Response:
        """Change a schedule; next_run_at is recomputed"""
        return _answer(writes.update(writes.get_schedule(schedule_id), changes))

    @jwt_required()
    @blp.login_required
    @blp.response(204)
    @blp.alt_response(404, description="No such schedule")
    def delete(self, schedule_id: str) -> None:
        """Delete a schedule: nothing fires after this answer (its jobs stay)"""
        schedule = writes.get_schedule(schedule_id)
        # The row goes in one statement: a firing process's claim then matches nothing.
        gone = db.session.execute(delete(Schedule).where(Schedule.id == schedule.id))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("Schedule not found.")
        db.session.commit()


@blp.route("/<string:schedule_id>/run")
class Run(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(201, RunSchema)
    @blp.alt_response(404, description="No such schedule")
    def post(self, schedule_id: str) -> Response:
        """Run the schedule's job once now, outside its rhythm"""
        schedule = writes.get_schedule(schedule_id)
        job = build_job(schedule, None, utcnow())
        stored = job_input(db.session, schedule, job)
        owner = Principal(id=schedule.user_id, role="user", tier=schedule.owner_tier or "")
        end_transaction()
        accepted = submission.Accepted([job], [stored] if stored else [], owner)
        places = group_commit.submit(accepted)
        response = jsonify(JOB_SCHEMA.dump(submission.place([job], places)[0]))
        response.status_code = 201
        response.headers["Location"] = f"/api/jobs/{job.id}"
        return response
