"""The wiring every service's ``create_app`` starts with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from . import auth, errors, health, logs, metrics, redis_client, request_id, settings


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, for which a body nested too deep to decode is invalid JSON too.

    ``json.loads`` gives up on deep nesting with ``RecursionError``, which is no
    ``ValueError``: ``request.get_json`` would let it out as a 500 (``silent=True`` too)."""

    sort_keys = False  # answers keep the order their schemas give

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError("Nested too deeply", "", 0) from None


def make_app(
    import_name: str,
    service: str,
    config: Mapping[str, Any] | None,
    database: str | None = None,
) -> Flask:
    """Create a Flask app with settings, logging, request ids, Redis, auth, errors and health.

    ``config`` overrides what the environment says; tests pass their own mapping here.
    """
    app = Flask(import_name)
    app.json = JSONProvider(app)
    app.config.update(settings.load(service, database=database))
    app.config.update(config or {})
    logs.configure(service, app.config["LOG_LEVEL"], app.config.get("LOG_DIR"))
    request_id.init_app(app)
    metrics.init_app(app)
    redis_client.init_app(app)
    auth.init_app(app)
    health.init_app(app)
    return app


def finish_app(app: Flask) -> Flask:
    """Register the problem-details handlers last, so they override flask-smorest's."""
    errors.init_app(app)
    return app
