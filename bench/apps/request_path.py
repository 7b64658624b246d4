"""Conveyor's request path with nothing stored: the ceiling ``POST /api/jobs`` can reach.

The same wiring as job-api (the shared app factory: settings, logging, request ids, metrics,
bearer tokens checked for revocation in Redis, problem errors), the same decorators, schemas
and job building as its ``POST /api/jobs``. The job is built and rendered, but no SQL row is
written and nothing reaches RQ: what is left is the cost of the frameworks and of the checks
every request makes, which storing and queueing can only add to.

``gunicorn 'bench.apps.request_path:create_app()'`` with job-api's environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from flask import json as flask_json
from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required

from conveyor_shared.api import Api, Blueprint
from conveyor_shared.app import finish_app, make_app
from conveyor_shared.auth import current_principal
from conveyor_shared.jobs import settings as job_settings
from job_api import submission
from job_api.resources.jobs.rendering import SCHEMA
from job_api.resources.jobs.schemas import JobSchema, SubmitSchema

blp = Blueprint("jobs", __name__, url_prefix="/api/jobs", description="Nothing stored")


@blp.route("")
class Jobs(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.arguments(SubmitSchema())
    @blp.response(201, JobSchema)
    @blp.alt_response(409, description="The same Idempotency-Key is still being handled")
    @blp.alt_response(422, description="Invalid job, or Idempotency-Key reused with another body")
    def post(self, spec: dict[str, Any]) -> Response:
        """Build and render a job, as job-api does, without storing or queueing it"""
        accepted = submission.add_jobs([spec], current_principal(), get_jwt(), batch=False)
        body = flask_json.dumps(SCHEMA.dump(submission.place(accepted.jobs, {})[0]))
        response = Response(body, status=201, mimetype="application/json")
        response.headers["Location"] = f"/api/jobs/{accepted.jobs[0].id}"
        return response


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from job-api's environment (its keys and Redis; no database)."""
    app = make_app(__name__, "job-api", config)
    app.config.setdefault("JOB_DEFAULT_TIMEOUT", job_settings.DEFAULT_TIMEOUT_SECONDS)
    api = Api(app, docs_prefix="/docs/jobs")
    api.register_blueprint(blp)
    return finish_app(app)
