"""Conveyor job-api: job submission, status, results and the queue view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from conveyor_core.jobs import settings as job_settings
from conveyor_core.jobs.db import configure_sqlite, engine_options
from conveyor_web.api import Api
from conveyor_web.app import finish_app, make_app

from . import access, caching, cli, group_commit, metrics, settings, submission
from .extensions import db, migrate
from .resources import admin, events, jobs, queue, schedules

MAX_CONTENT_LENGTH = 32 * 1024 * 1024
"""Largest request body: a few 5 MB images, or a 1,000-job batch with room to spare."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the job-api app; ``config`` overrides settings from the environment."""
    app = make_app(__name__, settings.JobApiSettings.from_env().flask_config(), config)
    app.config.setdefault("JOB_DEFAULT_TIMEOUT", job_settings.DEFAULT_TIMEOUT_SECONDS)
    # Flask's own defaults hold MAX_CONTENT_LENGTH = None, so setdefault would never apply.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db)
    caching.init_app(app)
    group_commit.init_app(app, submission.commit_group)
    cli.init_app(app)
    metrics.init_app(app)
    app.url_map.converters["job_id"] = access.JobIdConverter
    api = Api(app, docs_prefix="/docs/jobs")
    api.register_converter(access.JobIdConverter, lambda _converter: access.JOB_ID_PARAMETER)
    api.register_blueprint(jobs.blp)
    api.register_blueprint(queue.blp)
    api.register_blueprint(events.blp)
    api.register_blueprint(schedules.blp)
    api.register_blueprint(admin.blp)
    return finish_app(app)
