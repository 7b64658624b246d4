"""What no rule of ours raised reaches the caller masked: a message and a code, no internals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from graph_api import create_app

PAGE = b"<html><body>502 Bad Gateway (misrouted)</body></html>"


class ProxyPage(BaseHTTPRequestHandler):
    """A proxy's own page, answered with 200 to every request (a route pointed at the wrong
    upstream): a body REST never sends."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def misrouted(app: Flask) -> Iterator[Flask]:
    """The graph API with job-api's URL pointing at that proxy."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = {key: value for key, value in app.config.items() if key != "GRAPH_HTTP_TRANSPORT"}
    yield create_app({**config, "JOB_API_URL": f"http://127.0.0.1:{server.server_port}"})
    server.shutdown()
    server.server_close()


def test_an_unexpected_failure_is_masked(misrouted: Flask, alice: dict[str, Any]) -> None:
    response = misrouted.test_client().post(
        "/graphql",
        json={"query": "{ jobs { total } }"},
        headers={"Authorization": f"Bearer {alice['token']}"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.get_json()["errors"][0]["message"] == "Unexpected error."
    assert "JSON" not in text and "Traceback" not in text and "misrouted" not in text
