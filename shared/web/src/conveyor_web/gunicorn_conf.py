"""gunicorn settings every Conveyor HTTP server shares (``-c python:conveyor_web.gunicorn_conf``,
or imported by a service's own gunicorn settings).

- The request-line limit is gunicorn's largest, 8,190 bytes, which is what nginx lets through
  (one 8 KiB ``large_client_header_buffers`` buffer, CRLF included): a request the gateway
  accepts is never refused by the server behind it.
- The answers gunicorn makes itself, for a request it refuses before any app sees it (a
  request line or header over its limits, a malformed request), are problem documents like
  every other error, instead of gunicorn's HTML page. gunicorn has no setting for that page,
  so :func:`on_starting` replaces the one function that writes it (``gunicorn.util.
  write_error``, which every worker class calls) before any worker is forked.
- Each worker freezes what it loaded at start (:func:`post_worker_init`), so the garbage
  collector's full passes stop walking the app itself.
"""

from __future__ import annotations

import gc
import json
from typing import Any

from gunicorn import util

from conveyor_web.errors import PROBLEM_MIME

limit_request_line = 8190
"""Longest request line (method, URI, version): gunicorn's maximum, nginx's limit."""


def problem_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Write gunicorn's own error answer as a problem document (``util.write_error``'s API)."""
    detail = mesg if status_int < 500 and mesg else reason
    body = json.dumps(
        {"type": "about:blank", "title": reason, "status": status_int, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_MIME}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def on_starting(server: Any) -> None:
    """gunicorn's hook, run in the arbiter before it forks: answer refusals as problems."""
    util.write_error = problem_error


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, run in each worker once it has loaded the app: the objects loaded so
    far (modules, the app, its schemas and mappers) leave the garbage collector's watch.

    They live as long as the worker, yet every full collection walked them all again: a
    request that builds many objects (a 1,000-job batch) set off collections that took tens
    of milliseconds of it, at random. Objects made later are collected as before."""
    gc.freeze()
