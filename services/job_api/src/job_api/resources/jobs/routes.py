"""Routes of ``/api/jobs``."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, send_file
from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError

from conveyor_core.jobs import events, store
from conveyor_core.jobs.keys import CANCEL_KEY, CANCEL_KEY_TTL
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.status import STATUSES
from conveyor_web.api import Blueprint
from conveyor_web.auth import current_principal
from conveyor_web.errors import Conflict, NotFound
from conveyor_web.redis_client import get_redis

from ... import caching, idempotency, submission
from ...access import forget_run, get_job, with_positions
from ...extensions import db
from . import reads
from .rendering import SCHEMA
from .schemas import (
    BatchResultSchema,
    BatchSchema,
    JobListArgs,
    JobPageSchema,
    JobSchema,
    SubmitSchema,
)

logger = logging.getLogger(__name__)

blp = Blueprint("jobs", __name__, url_prefix="/api/jobs", description="Submit and follow jobs")


@blp.route("")
class Jobs(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(JobListArgs, location="query")
    @blp.response(200, JobPageSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """List the caller's jobs (admins: everyone's, or one user's with user_id)"""
        return jsonify(reads.page(args))

    @jwt_required()
    @blp.login_required
    @blp.arguments(SubmitSchema())  # one instance: building a schema costs more than loading
    @blp.response(201, JobSchema)
    @blp.alt_response(409, description="The same Idempotency-Key is still being handled")
    @blp.alt_response(422, description="Invalid job, or Idempotency-Key reused with another body")
    def post(self, spec: dict[str, Any]) -> Response:
        """Submit a job"""
        principal = current_principal()

        def handle() -> idempotency.Created:
            accepted = submission.add_jobs([spec], principal, get_jwt(), batch=False)
            location = f"/api/jobs/{accepted.jobs[0].id}"
            return submission.created(accepted, lambda placed: SCHEMA.dump(placed[0]), location)

        return idempotency.respond(principal.id, handle)


@blp.route("/batch")
class Batch(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(BatchSchema())
    @blp.response(201, BatchResultSchema)
    @blp.alt_response(409, description="The same Idempotency-Key is still being handled")
    @blp.alt_response(422, description="One job is invalid: none is created")
    def post(self, batch: dict[str, Any]) -> Response:
        """Submit up to 1,000 jobs, all or none"""
        principal = current_principal()

        def handle() -> idempotency.Created:
            accepted = submission.add_jobs(batch["jobs"], principal, get_jwt(), batch=True)
            return submission.created(
                accepted, lambda placed: {"jobs": SCHEMA.dump(placed, many=True)}
            )

        return idempotency.respond(principal.id, handle)


@blp.route("/status/<string:status>")
class JobsByStatus(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(JobListArgs, location="query")
    @blp.response(200, JobPageSchema)
    @blp.alt_response(404, description="No such status")
    def get(self, args: dict[str, Any], status: str) -> Response:
        """List the caller's jobs in one status"""
        if status not in STATUSES:
            raise NotFound(f"Unknown status {status!r}; one of: {', '.join(STATUSES)}.")
        return jsonify(reads.page(args, status))


@blp.route("/<job_id:job_id>")
class JobItem(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, JobSchema)
    @blp.alt_response(404, description="No such job")
    def get(self, job_id: str) -> Response:
        """Get one job"""
        return jsonify(reads.one(job_id))

    @jwt_required()
    @blp.login_required
    @blp.response(204)
    @blp.alt_response(404, description="No such job")
    @blp.alt_response(409, description="The job has not finished")
    def delete(self, job_id: str) -> None:
        """Delete a finished job and its artifact"""
        job = get_job(job_id)
        run_id, owner = job.run_id, job.user_id
        if not store.remove(db.session, job.id):
            # Not finished, or no longer: answer from the row as it is now (a retry may have
            # queued it, another delete may have taken it, since get_job read it).
            current = store.fetch(db.session, job.id)
            if current is None:
                raise NotFound("Job not found.")
            raise Conflict(f"Only a finished job can be deleted; this one is {current.status}.")
        db.session.commit()
        caching.invalidate(owner)
        # The files go only once the row is gone for good.
        shutil.rmtree(Path(current_app.config["ARTIFACTS_DIR"]) / job_id, ignore_errors=True)
        if run_id:
            forget_run(run_id)


@blp.route("/<job_id:job_id>/cancel")
class Cancel(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, JobSchema, description="Canceled (it was waiting)")
    @blp.alt_response(202, schema=JobSchema, description="Stopping (it is running)")
    @blp.alt_response(404, description="No such job")
    @blp.alt_response(409, description="The job has already finished")
    def post(self, job_id: str) -> tuple[Job, int]:
        """Cancel a job: at once if waiting, by stopping its worker if running"""
        job = get_job(job_id)
        outcome = store.cancel(db.session, job.id)
        job = store.fetch(db.session, job_id) or job  # read in the same transaction
        db.session.commit()
        connection = get_redis()
        if outcome == "finished":
            raise Conflict(f"The job has already finished ({job.status}).")
        if outcome == "canceled":
            events.publish(connection, job)
            if job.run_id:
                forget_run(job.run_id)
            return job, 200
        assert job.run_id is not None
        caching.invalidate(job.user_id)  # cancel_requested changed; the event comes at the stop
        connection.set(CANCEL_KEY.format(run_id=job.run_id), 1, ex=CANCEL_KEY_TTL)
        try:
            send_stop_job_command(connection, job.run_id)
        except (NoSuchJobError, InvalidJobOperation):
            logger.info("stop command not sent; the worker will see the cancel key")
        return with_positions([job])[0], 202


@blp.route("/<job_id:job_id>/retry")
class Retry(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(202, JobSchema)
    @blp.alt_response(404, description="No such job")
    @blp.alt_response(409, description="The job is not failed or canceled")
    def post(self, job_id: str) -> Job:
        """Run a failed or canceled job again"""
        job = get_job(job_id)
        retried = store.retry(db.session, job.id)
        if retried is None:
            raise Conflict(
                f"Only a failed or canceled job can be retried; this one is {job.status}."
            )
        db.session.commit()
        # One transaction pushes the new run and announces it (job.queued).
        principal = current_principal()
        owner = [principal] if principal.id == retried.user_id else []
        return submission.place([retried], submission.dispatch_accepted([retried], owner))[0]


@blp.route("/<job_id:job_id>/result")
class Result(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(
        200, {"format": "binary", "type": "string"}, content_type="application/octet-stream"
    )
    @blp.alt_response(404, description="No such job, or the job has no artifact")
    @blp.alt_response(409, description="The job has not completed")
    def get(self, job_id: str) -> Response:
        """Download the job's artifact (an export file, a processed image)"""
        job = get_job(job_id)
        if job.status != "completed":
            raise Conflict(f"The job has not completed ({job.status}).")
        if not job.artifact_name:
            raise NotFound("This job has no artifact; its result is in the job.")
        path = Path(current_app.config["ARTIFACTS_DIR"]) / job.id / job.artifact_name
        if not path.is_file():
            raise NotFound("The artifact is no longer available.")
        return send_file(
            path,
            mimetype=job.artifact_type or "application/octet-stream",
            as_attachment=True,
            download_name=job.artifact_name,
        )
