"""``/healthz`` (alive) and ``/readyz`` (database and Redis reachable)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from conveyor_web.errors import problem
from conveyor_web.redis_client import get_redis

logger = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify(status="ok", service=current_app.config["SERVICE_NAME"])


@blueprint.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database and Redis answer."""
    checks: dict[str, str] = {}
    db = current_app.extensions.get("sqlalchemy")
    if db is not None:
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as error:  # any driver error means "not ready"
            logger.warning("database not ready", extra={"error": str(error)})
            checks["database"] = "unavailable"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as error:
        logger.warning("redis not ready", extra={"error": str(error)})
        checks["redis"] = "unavailable"
    failing = sorted(name for name, state in checks.items() if state != "ok")
    if failing:
        return problem(503, f"Not ready: {', '.join(failing)} unavailable.", errors=checks)
    return jsonify(status="ready", checks=checks)


def init_app(app: Flask) -> None:
    """Serve the health routes."""
    app.register_blueprint(blueprint)
