"""Errors job-api raises; each carries the HTTP status and detail it answers with."""

from __future__ import annotations

from typing import Any


class JobApiError(Exception):
    """Root of job-api's errors."""

    status = 400

    def __init__(self, detail: str, errors: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFound(JobApiError):
    """The job does not exist, or belongs to someone else (never told apart)."""

    status = 404


class Conflict(JobApiError):
    """The job is in a state that does not allow the request."""

    status = 409


class Unprocessable(JobApiError):
    """The request is well formed but cannot be honoured (field errors in ``errors``)."""

    status = 422
