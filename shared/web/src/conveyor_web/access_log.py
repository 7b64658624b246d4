"""One JSON access line per HTTP request: method, path, status, duration, bytes, ids.

The line is logged at ``INFO`` on the ``conveyor.access`` logger once the response is
built (a streamed response's duration is its time to the first byte, and its size is not
known). Query parameters that carry credentials are written as ``[redacted]``.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, g, request

from conveyor_core.logs import user_id_var

logger = logging.getLogger("conveyor.access")

SECRET_PARAMETERS = frozenset(
    {"token", "access_token", "refresh_token", "password", "secret", "api_key", "key", "code"}
)
"""Query parameters whose values never reach a log (a stream token rides in the URL)."""

REDACTED = "[redacted]"


def loggable_path(path: str, query: bytes) -> str:
    """Return ``path`` with its query string, credentials redacted."""
    if not query:
        return path
    text = query.decode("latin-1")
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMETERS for name, _ in pairs):
        return f"{path}?{text}"
    shown = [(n, REDACTED if n.lower() in SECRET_PARAMETERS else v) for n, v in pairs]
    return f"{path}?{urlencode(shown, safe='[]')}"


def _user_id() -> str | None:
    """The caller's id: from the verified token, else what a route set (a login)."""
    claims = g.get("_jwt_extended_jwt")  # flask-jwt-extended's verified claims, if any
    if claims and claims.get("sub") is not None:
        return str(claims["sub"])
    return user_id_var.get()


def init_app(app: Flask) -> None:
    """Log every request of ``app`` once, after its response is built."""

    @app.before_request
    def _start() -> None:
        g.access_started = time.perf_counter()
        user_id_var.set(None)  # a thread serves many requests: start each without a user

    @app.after_request
    def _log(response: Response) -> Response:
        if not logger.isEnabledFor(logging.INFO):
            return response
        started = g.get("access_started")
        duration = (time.perf_counter() - started) * 1000 if started is not None else None
        logger.info(
            "request",
            extra={
                "event": "http.request",
                "method": request.method,
                "path": loggable_path(request.path, request.query_string),
                "status": response.status_code,
                "duration_ms": None if duration is None else round(duration, 3),
                "bytes": response.content_length,
                "user_id": _user_id(),
            },
        )
        return response
