"""One error shape for every failure: RFC 9457 problem details.

A service answers an error one way: it raises a :class:`ServiceError` (the hierarchy below,
extended in its own ``exceptions.py``), which :func:`handle_service_error` turns into a
problem document. Framework errors (flask-smorest's argument checks, 404 routes, a lost
database or Redis) are answered in the same shape by the other handlers here.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, Response, current_app, json
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from conveyor_core.redis_connection import OUTAGE

PROBLEM_MIME = "application/problem+json"
"""Media type of every error response."""

logger = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem-details response."""
    if title is None:
        title = HTTP_STATUS_CODES.get(status, "Error")
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail or title
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ServiceError(Exception):
    """Root of the errors a service raises on purpose; each carries the HTTP status and
    detail it is answered with, and optional field errors (``{"field": ["message"]}``)."""

    status = 400

    def __init__(self, detail: str, errors: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the problem document."""
        return {}


class Unauthorized(ServiceError):
    """The caller's credentials are missing, wrong or expired."""

    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(ServiceError):
    """The caller may not do this."""

    status = 403


class NotFound(ServiceError):
    """No such thing, or one the caller may not see (never told apart)."""

    status = 404


class Conflict(ServiceError):
    """The request conflicts with the current state (a taken name, a finished job)."""

    status = 409


class Unprocessable(ServiceError):
    """The request is well formed but cannot be honoured (field errors in ``errors``)."""

    status = 422


class RetryLater(ServiceError):
    """Refused for now; the answer says in ``Retry-After`` when to try again."""

    def __init__(self, detail: str, retry_after: int, errors: Any = None) -> None:
        super().__init__(detail, errors)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequests(RetryLater):
    """The caller has tried too often."""

    status = 429


class Unavailable(RetryLater):
    """The service cannot take this now (nothing about the request was wrong)."""

    status = 503


def handle_service_error(error: ServiceError) -> Response:
    """Answer a service's own error with its problem document."""
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers())


def _field_errors(messages: Any) -> Any:
    """Unwrap webargs' location layer (``{"json": {...}}``) so errors are keyed by field."""
    if isinstance(messages, dict) and len(messages) == 1:
        (location, inner), *_ = messages.items()
        if location in {"json", "query", "form", "headers", "path", "view_args"}:
            return inner
    return messages


def handle_http_exception(error: HTTPException) -> Response:
    """Turn any ``HTTPException`` (including flask-smorest's ``abort``) into a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("errors") or data.get("messages"))
    detail = data.get("message")
    if isinstance(errors, list):  # not keyed by field ("Invalid JSON body."): it is the detail
        detail, errors = detail or " ".join(map(str, errors)), None
    if detail is None and errors:
        detail = "The request is not valid."
    if detail is None:
        detail = error.description if status < 500 else "An unexpected error occurred."
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(status, detail, errors=errors, headers=headers)


def handle_integrity_error(error: IntegrityError) -> Response:
    """A database constraint was violated: the request conflicts with stored data."""
    db = current_app.extensions.get("sqlalchemy")
    if db is not None:
        db.session.rollback()
    logger.info("integrity error mapped to 409", extra={"error": str(error.orig)})
    return problem(409, "The request conflicts with existing data.")


REDIS_RETRY_AFTER = "5"
"""Seconds a client is told to wait when Redis is unreachable."""

DATABASE_RETRY_AFTER = "5"
"""Seconds a client is told to wait when the database is unreachable or busy."""


def handle_database_down(error: OperationalError | InterfaceError) -> Response:
    """The database refused the connection, dropped it, or stayed locked: nothing about the
    request was wrong, and nothing was committed, so the client may send it again."""
    db = current_app.extensions.get("sqlalchemy")
    if db is not None:
        db.session.rollback()
    logger.warning("database unavailable", extra={"error": str(error.orig)})
    return problem(503, "A backing service is unavailable; try again shortly.",
                   headers={"Retry-After": DATABASE_RETRY_AFTER})  # fmt: skip


def handle_redis_down(error: redis.ConnectionError | redis.TimeoutError) -> Response:
    """Redis is unreachable: the service cannot answer now, but the request was not wrong."""
    logger.warning("Redis unreachable", extra={"error": str(error)})
    return problem(503, "A backing service is unavailable; try again shortly.",
                   headers={"Retry-After": REDIS_RETRY_AFTER})  # fmt: skip


def handle_unexpected(error: Exception) -> Response:
    """Log an unexpected exception and answer 500 without internals."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    logger.exception("unhandled exception")
    return problem(500, "An unexpected error occurred.")


def init_app(app: Flask) -> None:
    """Register the problem-details handlers (after flask-smorest's, so these win)."""
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    for outage in OUTAGE:
        app.register_error_handler(outage, handle_redis_down)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(InterfaceError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
