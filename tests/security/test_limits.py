"""Sizes a client cannot exceed, and no job payload that makes the platform fetch a URL."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from .world import World

TIMED = {"type": "timed", "payload": {"duration_seconds": 1}}


@pytest.mark.parametrize("path", ["/api/users?per_page=101", "/api/jobs?per_page=101"])
def test_a_page_over_100_is_refused(world: World, path: str) -> None:
    response = world.call("owner", "GET", path)
    assert response.status_code == 422, response.get_json()
    assert "per_page" in response.get_json()["errors"]


def test_a_batch_over_1000_jobs_is_refused_and_creates_nothing(world: World) -> None:
    response = world.call("owner", "POST", "/api/jobs/batch", {"jobs": [TIMED] * 1001})
    assert response.status_code == 422, response.get_json()
    assert world.call("owner", "GET", "/api/jobs").get_json()["total"] == 3  # the world's own


@pytest.mark.parametrize("path", ["/api/users", "/api/jobs"])
def test_a_body_over_the_services_limit_is_413(world: World, path: str) -> None:
    client = world.client_for(path)
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    assert limit  # Flask's default is no limit at all
    body = b'{"type": "timed", "payload": {"pad": "' + b"x" * limit + b'"}}'
    response = client.post(
        path, data=body, content_type="application/json", headers=world.headers("owner")
    )
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


class Canary(http.server.BaseHTTPRequestHandler):
    """Counts every request that reaches it: a job payload must never make one."""

    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[str]:
    Canary.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/image.png"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "payload",
    [
        lambda url: {"type": "image", "payload": {"image": url, "operations": [], "format": "png"}},
        lambda url: {"type": "image", "payload": {"url": url, "operations": [], "format": "png"}},
        lambda url: {
            "type": "email",
            "payload": {"to": "owner@example.com", "subject": url, "body": url, "attachment": url},
        },
        lambda url: {"type": "export", "payload": {"dataset": url, "format": "csv"}},
    ],
    ids=["image-as-url", "url-field", "email-attachment", "export-dataset"],
)
def test_no_payload_makes_the_platform_fetch_a_url(world: World, canary: str, payload) -> None:  # type: ignore[no-untyped-def]
    response = world.call("owner", "POST", "/api/jobs", payload(canary))
    assert response.status_code == 422, response.get_json()
    assert Canary.hits == []
