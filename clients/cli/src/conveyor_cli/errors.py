"""Exit codes (SPEC section 7) and the errors that carry them to ``main``.

Every failure the user can meet is one of these: ``main`` prints its message and field
errors on stderr and exits with its code, never with a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from enum import IntEnum
from typing import Any

import httpx


class ExitCode(IntEnum):
    OK = 0
    """Success; with ``--wait`` or ``watch``: every job completed."""
    JOB_FAILED = 1
    USAGE = 2
    """Bad command line or bad input (a 400 or 422 from the API included)."""
    JOB_CANCELED = 3
    REFUSED = 4
    """Not signed in, or the API refused the request (401, 403, 404, 409, 429 …)."""
    SERVER = 5
    """The server failed (5xx) or could not be reached."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT, as shells report it)."""


INTERRUPTED_MESSAGE = "interrupted; no job was canceled"
"""What Ctrl-C prints: the jobs run on without the client."""


class CliError(Exception):
    """A failure to report on stderr, with field errors keyed by field."""

    exit_code = ExitCode.SERVER

    def __init__(self, message: str, errors: Any = None, *, exit_code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        if exit_code is not None:
            self.exit_code = exit_code

    def lines(self) -> list[str]:
        """Return the message, then one ``field: problem`` line per field error."""
        return [self.message, *(f"  {field}: {text}" for field, text in flatten(self.errors))]


class UsageProblem(CliError):
    exit_code = ExitCode.USAGE


class Refused(CliError):
    exit_code = ExitCode.REFUSED


class NotSignedIn(Refused):
    """No stored session for the server, or one that can no longer be refreshed."""


class ServerProblem(CliError):
    exit_code = ExitCode.SERVER


def flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Turn ``{"payload": {"duration_seconds": ["Must be …"]}}`` into dotted pairs."""
    if errors is None:
        return []
    if isinstance(errors, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in errors.items():
            pairs += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        return [(prefix or "error", " ".join(errors))]
    if isinstance(errors, list):
        pairs = []
        for item in errors:
            pairs += flatten(item, prefix)
        return pairs
    return [(prefix or "error", str(errors))]


def exit_code_for(status: int) -> ExitCode:
    """Map an HTTP error status to the exit code SPEC section 7 gives it."""
    if status >= 500:
        return ExitCode.SERVER
    if status in (400, 413, 415, 422):
        return ExitCode.USAGE
    return ExitCode.REFUSED


def from_response(response: httpx.Response) -> CliError:
    """Build the error for a non-2xx answer from its problem document (RFC 9457)."""
    status = response.status_code
    body: Any = None
    with contextlib.suppress(ValueError):  # an HTML page from a proxy, or nothing at all
        body = response.json()
    if isinstance(body, dict) and (body.get("detail") or body.get("title")):
        message = str(body.get("detail") or body.get("title"))
        errors = body.get("errors")
    else:
        message = f"{status} {response.reason_phrase}".strip()
        errors = None
    if status >= 500:
        message = f"server error ({status}): {message}"
    kind = {ExitCode.USAGE: UsageProblem, ExitCode.REFUSED: Refused}.get(
        exit_code_for(status), ServerProblem
    )
    return kind(message, errors)


def debug(message: str) -> None:
    """Tell what happens underneath on stderr, when ``CONVEYOR_DEBUG`` is set."""
    if os.environ.get("CONVEYOR_DEBUG"):
        print(f"conveyor: debug: {message}", file=sys.stderr, flush=True)
