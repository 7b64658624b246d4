"""Errors only user-service raises, in the web kit's hierarchy (``conveyor_web.errors``:
``NotFound``, ``Conflict``, ``Forbidden``, ``Unprocessable``, ...), whose one handler answers
each with a problem document."""

from __future__ import annotations

from conveyor_web.errors import TooManyRequests, Unauthorized


class InvalidCredentials(Unauthorized):
    """Login or refresh failed; the message never says which part was wrong."""


class TooManyAttempts(TooManyRequests):
    """Too many failed logins for this account or address."""
