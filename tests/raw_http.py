"""Send one hand-made HTTP/1.1 request over a socket: the tests need request lines and
headers that ordinary clients refuse to build, and want the answer as the server wrote it."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

PROBLEM = "application/problem+json"


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, Any]:
        """Return the body, checking it is a problem document for this status."""
        assert self.headers.get("content-type", "").startswith(PROBLEM), (self.headers, self.body)
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        assert {"type", "title", "status", "detail"} <= document.keys()
        return document


def request_line_of(length: int, path: str = "/api/users") -> str:
    """Return a ``GET`` request line of exactly ``length`` bytes (CRLF not counted)."""
    bare = f"GET {path}?pad= HTTP/1.1"
    return f"GET {path}?pad={'a' * (length - len(bare))} HTTP/1.1"


def send(port: int, request_line: str, headers: dict[str, str] | None = None) -> RawReply:
    """Send the request (``Connection: close``) to 127.0.0.1:``port``; return the answer."""
    lines = [request_line, "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = dict(line.split(":", 1) for line in header_lines)
    return RawReply(
        int(status_line.split()[1]),
        {name.strip().lower(): value.strip() for name, value in parsed.items()},
        body,
    )
