"""The gateway when nginx is not installed: one WSGI app mounting the services side by side.

Serve with ``gunicorn --pythonpath infra/scripts 'local_gateway:create_app()'``. This is
infrastructure, not a service, so it may import every service's package. Unlike werkzeug's
``DispatcherMiddleware``, it does not move the mount prefix into ``SCRIPT_NAME``: each
service's routes carry their full public paths (``/api/users``), as behind nginx.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from stack import ROUTES, Stack, has_app, installed
from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest request body, as nginx's ``client_max_body_size 8m``."""


def matches(path: str, prefix: str) -> bool:
    """Return whether ``path`` is ``prefix`` or lies below it."""
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


def problem_app(status: int, title: str, detail: str) -> WSGIApp:
    """Return a WSGI app answering every request with one problem document."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request_id = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        start_response(
            f"{status} {title}",
            [
                ("Content-Type", "application/problem+json"),
                ("Content-Length", str(len(body))),
                ("X-Request-ID", request_id),
            ],
        )
        return [body.encode()]

    return app


def health_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer the gateway's own ``/healthz``."""
    body = b'{"status":"ok","service":"gateway"}'
    request_id = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Request-ID", request_id)])
    return [body]


class PrefixRouter:
    """Send each request to the app whose path prefix matches, else a JSON 404."""

    def __init__(self, mounts: list[tuple[str, WSGIApp]], fallback: WSGIApp) -> None:
        # Longest prefix first, so a nested mount wins over its parent.
        self.mounts = sorted(mounts, key=lambda mount: len(mount[0]), reverse=True)
        self.fallback = fallback
        self.too_large = problem_app(
            413, "Payload Too Large", "The request body is larger than 8 MB."
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # Refused before a byte of it is read, as nginx does (its body limit, its answer).
        length = environ.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return self.too_large(environ, start_response)
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in self.mounts:
            if matches(path, prefix):
                return app(environ, start_response)
        return self.fallback(environ, start_response)


NOT_THE_PAGE = re.compile(r"^/(api|docs|admin)(/|$)|^/assets/")
"""Paths the dashboard never answers with its page (mirrors infra/nginx)."""


def dashboard_app(dist: Path, not_found: WSGIApp) -> WSGIApp:
    """Serve the built dashboard: a file when one exists, else its page (a single-page app)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path.lstrip("/") or "index.html"
        try:
            response = send_from_directory(dist, path, environ)
        except NotFound:
            if NOT_THE_PAGE.match(request.path) or not (dist / "index.html").is_file():
                return not_found(environ, start_response)
            response = send_from_directory(dist, "index.html", environ)
        response.headers["X-Request-ID"] = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        return response(environ, start_response)

    return app


def load(package: str) -> WSGIApp:
    """Import ``package`` and build its app, without a second rotating log file writer."""
    if package == "rq_dashboard":
        import rq_dashboard_app

        return rq_dashboard_app.create_app()
    module = importlib.import_module(package)
    app: WSGIApp = module.create_app({"LOG_DIR": None})
    return app


def create_app() -> PrefixRouter:
    """Mount every installed service under its public prefixes."""
    mounts: list[tuple[str, WSGIApp]] = [("/healthz", health_app)]
    for package, prefixes in ROUTES.items():
        present = installed(package) if package == "rq_dashboard" else has_app(package)
        if not present:
            logger.warning("gateway: %s is not installed; its routes answer 503", package)
            app = problem_app(503, "Service Unavailable", f"{package} is not running here.")
        else:
            app = load(package)
        mounts += [(prefix, app) for prefix in prefixes]
    not_found = problem_app(404, "Not Found", "No resource at this URL.")
    dist = Path(os.environ.get("DASHBOARD_DIR") or Stack.dashboard_dir)
    return PrefixRouter(mounts, dashboard_app(dist, not_found))
