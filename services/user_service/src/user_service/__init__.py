"""Conveyor user-service: sign-up, login, tokens and user CRUD."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from conveyor_core.jobs.db import SERVER_OPTIONS
from conveyor_web.api import Api
from conveyor_web.app import finish_app, make_app

from . import caching, cli, passwords, revocations, settings, throttle
from .extensions import db, migrate
from .resources import auth, users

MAX_CONTENT_LENGTH = 1024 * 1024
"""Largest request body: a sign-up or profile change is a few hundred bytes; 1 MiB still
lets a malformed body reach the checks that name what is wrong with it."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the user-service app; ``config`` overrides settings from the environment."""
    app = make_app(__name__, settings.UserServiceSettings.from_env().flask_config(), config)
    # Flask's own defaults hold MAX_CONTENT_LENGTH = None, so setdefault would never apply.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    if not app.config.get("JWT_PRIVATE_KEY"):
        app.logger.warning("JWT_PRIVATE_KEY is not set: logins will fail")
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind the gateway the client's address is in X-Forwarded-For (per-IP login limits).
        count = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Bounded waits for a lost PostgreSQL: a 503 within seconds, not a hang.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", SERVER_OPTIONS)
    db.init_app(app)
    migrate.init_app(app, db)
    caching.init_app(app)
    passwords.init_app(app)
    throttle.init_app(app)
    cli.init_app(app)
    revocations.init_app(app)
    api = Api(app, docs_prefix="/docs/users")
    api.register_blueprint(users.blp)
    api.register_blueprint(auth.blp)
    return finish_app(app)
