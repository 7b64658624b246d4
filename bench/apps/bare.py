"""The floor under ``POST /api/jobs``: one RQ enqueue per request, and a JSON hello.

``gunicorn 'bench.apps.bare:create_app({"REDIS_URL": "redis://..."})'``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from flask import Flask, request
from rq import Queue

QUEUE = "bare"
NOOP = "bench.peers.tasks.noop"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the baseline app; ``config`` must give ``REDIS_URL``."""
    app = Flask(__name__)
    app.config.update(config or {})
    queue = Queue(QUEUE, connection=redis.Redis.from_url(app.config["REDIS_URL"]))

    @app.post("/enqueue")
    def enqueue() -> tuple[dict[str, Any], int]:
        request.get_json(silent=True)
        job = queue.enqueue(NOOP)
        return {"id": job.id, "status": "queued"}, 201

    @app.route("/hello", methods=["GET", "POST"])
    def hello() -> dict[str, Any]:
        return {"hello": "world"}

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    return app
