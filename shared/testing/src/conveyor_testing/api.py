"""Test helpers for a service's OpenAPI document: what it says errors look like, and
schemathesis, with every check, against the app that serves it.

The app is served for real (werkzeug's threaded server on a loopback port) and the
schemathesis command line is run against it, as a client of the API would run it: a
finding is any check that fails, and the test that calls :func:`run_schemathesis` fails
with schemathesis' own report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from conveyor_testing.redis_server import free_port
from conveyor_web.errors import PROBLEM_MIME

PROBLEM_REF = "#/components/schemas/Problem"
"""Where the documents keep the problem schema (``api.ProblemSchema``)."""

MAX_EXAMPLES = 3
"""Test cases per operation and phase: enough to meet every documented status and shape,
few enough for ``make test`` (each run stays well under a minute on a shared 2-core host)."""

SEED = 20261204
"""A fixed seed: the same cases every run, so a finding reproduces."""

RUN_TIMEOUT = 240.0
"""Seconds one schemathesis run may take before the test fails."""


def non_problem_errors(document: dict[str, Any]) -> list[str]:
    """Return ``"METHOD /path STATUS"`` for each error response (4xx, 5xx, ``default``) the
    document describes as anything but a problem document, after resolving references."""
    responses = document.get("components", {}).get("responses", {})
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if status != "default" and int(status) < 400:
                    continue
                if "$ref" in response:
                    response = responses[response["$ref"].rsplit("/", 1)[-1]]
                content = response.get("content", {})
                schema = content.get(PROBLEM_MIME, {}).get("schema", {})
                if list(content) != [PROBLEM_MIME] or schema.get("$ref") != PROBLEM_REF:
                    found.append(f"{method.upper()} {path} {status}")
    return found


class QuietHandler(WSGIRequestHandler):
    """werkzeug's request handler without its line per request (thousands per run)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve the WSGI ``app`` on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def run_schemathesis(
    schema_url: str,
    report_dir: Path,
    headers: Sequence[str] = (),
    config: str | None = None,
    max_examples: int = MAX_EXAMPLES,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``schemathesis run`` with every check on ``schema_url``; return the finished process.

    ``headers`` are ``Name: value`` strings sent with every request (a bearer token);
    ``config`` is the text of a ``schemathesis.toml``; ``max_examples`` test cases per
    operation and phase (the soak suite's full run asks for hundreds). The exit code is 0
    only when no check found anything.
    """
    # Every check is turned on in the file, not with --checks all: checks named on the
    # command line would override what ``config`` says of one operation.
    config_file = report_dir / "schemathesis.toml"
    config_file.write_text(f"[checks]\nenabled = true\n{config or ''}")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config_file),
    ]
    command += [
        "run", schema_url,
        "--max-examples", str(max_examples),
        "--seed", str(SEED),
        "--workers", "1",
        "--no-color",
        "--request-timeout", "20",
        "--report-dir", str(report_dir),
        "--output-truncate", "false",
        "--generation-database", "none",
    ]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=report_dir,
    )
