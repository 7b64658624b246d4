"""Prometheus ``/metrics``: request counts and latency per route."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)


def init_app(app: Flask) -> None:
    """Count and time every request; serve the figures at ``/metrics``."""
    registry = CollectorRegistry()
    service = app.config["SERVICE_NAME"]
    requests = Counter(
        "http_requests_total",
        "HTTP requests",
        ["service", "method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "HTTP request latency",
        ["service", "method", "route"],
        registry=registry,
    )
    app.extensions["conveyor_metrics"] = registry

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        if started is not None:
            latency.labels(service, request.method, route).observe(time.perf_counter() - started)
        requests.labels(service, request.method, route, str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
