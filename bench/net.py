"""Small HTTP client helpers on ``http.client`` (no extra dependency)."""

from __future__ import annotations

import http.client
import json
from typing import Any

from .procs import wait_until


class Client:
    """A keep-alive JSON client for one ``127.0.0.1:port``."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 60.0) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one request; return ``(status, decoded JSON body or None)``."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):  # a kept-alive connection the server closed is retried once
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self._conn.request(method, path, body=data, headers=headers)
                response = self._conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
                continue
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, raw.decode(errors="replace")
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def answers(port: int, path: str = "/healthz") -> bool:
    """Return whether ``GET path`` on the port returns a 2xx."""
    client = Client(port, timeout=2.0)
    try:
        status, _ = client.request("GET", path)
        return 200 <= status < 300
    except OSError:
        return False
    finally:
        client.close()


def wait_answers(port: int, path: str = "/healthz", timeout: float = 60.0) -> bool:
    """Wait until ``GET path`` answers with a 2xx."""
    return wait_until(lambda: answers(port, path), timeout, interval=0.1)
