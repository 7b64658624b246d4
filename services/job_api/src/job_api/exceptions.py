"""Errors only job-api raises, in the web kit's hierarchy (``conveyor_web.errors``:
``NotFound``, ``Conflict``, ``Forbidden``, ``Unprocessable``, ...), whose one handler answers
each with a problem document."""

from __future__ import annotations

from conveyor_web.errors import Unauthorized, Unavailable


class InvalidStreamToken(Unauthorized):
    """A ``?token=`` for ``/api/events`` that is unknown, used, expired or revoked."""


class TooManyStreams(Unavailable):
    """This process already holds as many event streams as it may (``EVENTS_MAX_STREAMS``)."""
