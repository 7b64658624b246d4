"""``X-Request-ID``: taken from the request or made, echoed on every response."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from conveyor_core.logs import request_id_var

HEADER = "X-Request-ID"
"""The header that carries the request id in and out."""

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current() -> str | None:
    """Return the id of the request being served, if any."""
    return g.get("request_id")


def init_app(app: Flask) -> None:
    """Give every request an id and echo it on the response."""

    @app.before_request
    def _assign() -> None:
        incoming = request.headers.get(HEADER, "")
        # A caller-chosen id is kept only if it is safe to log and echo.
        g.request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request_id_var.set(g.request_id)

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers[HEADER] = g.get("request_id") or uuid.uuid4().hex
        return response
