"""HTTP load for a fixed time: wrk with a Lua script, or threads of ``http.client``.

wrk is used when present (the bench installs it with apt-get as root); otherwise a Python
generator stands in, which saturates sooner, and the report says which one ran.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .context import Bench
from .exceptions import BenchError
from .results import percentile

THREADS = 1
"""wrk threads: one, so two cores are left for nginx, gunicorn, Redis and the database."""


@dataclass(frozen=True)
class Load:
    """What one load run saw."""

    requests_per_s: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Request:
    """The request every connection repeats."""

    method: str
    path: str
    body: str | None = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


def run(bench: Bench, port: int, request: Request, name: str) -> Load:
    """Load ``127.0.0.1:port`` with ``request`` for ``config.http_seconds``."""
    seconds = bench.config.http_seconds
    connections = bench.config.http_connections
    if bench.wrk:
        return _wrk(bench.wrk, port, request, seconds, connections, bench.work_dir / "wrk" / name)
    return _threads(port, request, seconds, connections)


def _lua(request: Request) -> str:
    lines = [f"wrk.method = {json.dumps(request.method)}"]
    if request.body is not None:
        lines.append(f"wrk.body = {json.dumps(request.body)}")
    lines += [
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in request.headers().items()
    ]
    lines.append(
        "done = function(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        '  io.write(string.format("BENCH {\\"requests\\":%d,\\"duration_us\\":%d,'
        '\\"socket_errors\\":%d,\\"status_errors\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d}\\n",\n'
        "    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,\n"
        "    e.status, latency:percentile(50), latency:percentile(99)))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


def _wrk(
    wrk: str, port: int, request: Request, seconds: float, connections: int, base: Path
) -> Load:
    base.parent.mkdir(parents=True, exist_ok=True)
    script = base.with_suffix(".lua")
    script.write_text(_lua(request))
    argv = [wrk, f"-t{THREADS}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s",
            "-s", str(script), f"http://127.0.0.1:{port}{request.path}"]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError("wrk did not finish") from None
    found = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode or not found:
        raise BenchError(f"wrk failed ({done.returncode}): {(done.stderr or done.stdout)[-300:]}")
    data = json.loads(found.group(1))
    requests = int(data["requests"])
    return Load(
        requests_per_s=requests / (data["duration_us"] / 1e6),
        requests=requests,
        errors=int(data["socket_errors"]) + int(data["status_errors"]),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def _threads(port: int, request: Request, seconds: float, connections: int) -> Load:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    body = request.body.encode() if request.body is not None else None
    headers = request.headers()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request(request.method, request.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    began = time.monotonic()
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.monotonic() - began
    if not latencies:
        raise BenchError("the Python load generator completed no request")
    return Load(
        requests_per_s=len(latencies) / elapsed,
        requests=len(latencies),
        errors=errors[0],
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
    )
