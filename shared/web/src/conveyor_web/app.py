"""The wiring every service's ``create_app`` starts with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from conveyor_core import logs
from conveyor_web import (
    access_log,
    auth,
    errors,
    health,
    json_body,
    metrics,
    redis_client,
    request_id,
)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, decoding request bodies strictly (:func:`.json_body.loads`): a body
    nested too deep or holding a lone surrogate is invalid JSON, so ``request.get_json``
    answers it with a 400 (``None`` with ``silent=True``), not a 500."""

    sort_keys = False  # answers keep the order their schemas give

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_body.loads(s, **kwargs)


def make_app(
    import_name: str, settings: Mapping[str, Any], config: Mapping[str, Any] | None
) -> Flask:
    """Create a Flask app with settings, logging (an access line per request), request ids,
    Redis, auth, errors and health.

    ``settings`` is the service's settings object as a config mapping (its
    ``flask_config()``, read from the environment at start); ``config`` overrides it: tests
    pass their own mapping here.
    """
    app = Flask(import_name)
    app.json = JSONProvider(app)
    app.config.update(settings)
    app.config.update(config or {})
    logs.configure(settings["SERVICE_NAME"], app.config["LOG_LEVEL"], app.config.get("LOG_DIR"))
    request_id.init_app(app)
    access_log.init_app(app)
    metrics.init_app(app)
    redis_client.init_app(app)
    auth.init_app(app)
    health.init_app(app)
    return app


def finish_app(app: Flask) -> Flask:
    """Register the problem-details handlers last, so they override flask-smorest's."""
    errors.init_app(app)
    return app
