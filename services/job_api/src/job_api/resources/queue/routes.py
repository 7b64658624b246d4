"""Route of ``/api/queue``."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from rq import Queue, Worker
from sqlalchemy import case, select

from conveyor_core.fair import PRIORITIES, Dispatcher, queue_name
from conveyor_core.jobs import dispatch, store
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import QUEUED, RUNNING, SCHEDULED, STATUSES
from conveyor_web.api import Blueprint
from conveyor_web.auth import current_principal
from conveyor_web.redis_client import get_redis

from ...access import end_transaction, with_positions
from ...extensions import db
from .schemas import AdminQueueSchema, UserQueueSchema

blp = Blueprint("queue", __name__, url_prefix="/api/queue", description="Queue overview")

SHOWN_JOBS = 200
"""Most waiting or running jobs listed in a user's view."""

SHOWN_LINES = 100
"""Most users whose queues an admin's view lists (those next in the fair order first)."""


def _user_view(user_id: int) -> dict[str, Any]:
    counts = store.count_by_status(db.session, Job.user_id == user_id)
    # Running, then queued, then scheduled, before the cut: a big delayed batch must not
    # push the jobs that are live out of the view.
    rank = case((Job.status == RUNNING, 0), (Job.status == QUEUED, 1), else_=2)
    jobs = db.session.scalars(
        select(Job)
        .where(Job.user_id == user_id, Job.status.in_((RUNNING, QUEUED, SCHEDULED)))
        .order_by(rank, Job.queued_at, Job.created_at)
        .limit(SHOWN_JOBS)
    ).all()
    end_transaction()
    ordered = sorted(with_positions(jobs), key=lambda job: (job.status != RUNNING,
                     getattr(job, "queue_position", None) or 10**9))  # fmt: skip
    return {"jobs": ordered, "totals": {status: counts.get(status, 0) for status in STATUSES}}


def _queue_names(dispatcher: Dispatcher) -> list[str]:
    """The control queue, then the lines of the users next in the fair order."""
    names = dispatch.worker_queue_names()
    for user_id in dispatcher.next_users(SHOWN_LINES):
        names += [queue_name(user_id, priority) for priority in PRIORITIES]
    return names


def _admin_view() -> dict[str, Any]:
    connection = get_redis()
    dispatcher = Dispatcher(connection, {})
    queues = {}
    for name in _queue_names(dispatcher):
        queue = Queue(name, connection=connection)
        queues[name] = {
            "queued": queue.count,
            "started": queue.started_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count,
            "failed": queue.failed_job_registry.count,
        }
    counts = store.count_by_status(db.session)
    workers = [
        {
            "name": worker.name,
            "state": worker.get_state(),
            "queues": worker.queue_names(),
            "current_job": worker.get_current_job_id(),
            "successful_jobs": worker.successful_job_count,
            "failed_jobs": worker.failed_job_count,
            "last_heartbeat": worker.last_heartbeat,
        }
        for worker in Worker.all(connection=connection)
    ]
    return {
        "fair": {
            "active_users": dispatcher.active_users(),
            "dispatches": dispatcher.dispatches(),
        },
        "queues": queues,
        "statuses": {status: counts.get(status, 0) for status in STATUSES},
        "workers": workers,
    }


@blp.route("")
class QueueView(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, UserQueueSchema, description="A user's view (admins: AdminQueue)")
    def get(self) -> Any:
        """Show the caller's queued and running jobs (admins: totals per queue, status, worker)"""
        principal = current_principal()
        if principal.is_admin:
            return jsonify(AdminQueueSchema().dump(_admin_view()))
        return _user_view(principal.id)
