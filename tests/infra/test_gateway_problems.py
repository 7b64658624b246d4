"""What the gateway and gunicorn answer themselves is a problem document, never HTML: nginx
with the project's config (in front of nothing, so its own 502 shows too) and gunicorn with
the shared settings; and nginx's request-line limit is the one gunicorn applies behind it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nginx_conf
import pytest
from raw_http import request_line_of, send
from stack import Stack

from conveyor_testing.redis_server import free_port

LIMIT = 8190
"""The longest request line both nginx and gunicorn take (conveyor_web.gunicorn_conf)."""

START_TIMEOUT = 20.0


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        try:
            send(port, "GET /healthz HTTP/1.1")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {START_TIMEOUT:.0f}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """nginx on a free port with the project's config; no service runs behind it."""
    if not shutil.which("nginx"):
        if os.environ.get("CI"):
            pytest.fail("nginx must be installed in CI")
        pytest.skip("nginx is not installed here")
    var = tmp_path_factory.mktemp("nginx")
    ports = {name: str(free_port()) for name in
             ("PORT", "USER_SERVICE_PORT", "JOB_API_PORT", "RQ_DASHBOARD_PORT")}  # fmt: skip
    config = nginx_conf.write(Stack.from_env({"GATEWAY": "nginx", "VAR_DIR": str(var), **ports}))
    process = subprocess.Popen(
        ["nginx", "-e", "stderr", "-p", str(config.parent), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(int(ports["PORT"]), process)
        yield int(ports["PORT"])
    finally:
        stop(process)


APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """gunicorn with the settings every Conveyor server shares, serving a plain app."""
    code = tmp_path_factory.mktemp("app")
    (code / "plain_app.py").write_text(APP)
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")),
               "-c", "python:conveyor_web.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--no-control-socket", "--pythonpath", str(code),
               "plain_app:app"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield port
    finally:
        stop(process)


def test_nginx_passes_on_a_request_line_as_long_as_gunicorn_takes(nginx: int) -> None:
    # Nothing listens behind it: nginx read the line and tried the service (502).
    assert send(nginx, request_line_of(LIMIT)).status == 502


def test_nginx_answers_a_longer_request_line_with_a_414_problem(nginx: int) -> None:
    reply = send(nginx, request_line_of(LIMIT + 1))
    assert reply.status == 414
    assert reply.problem()["title"] == "URI Too Long"


def test_nginx_answers_an_oversized_header_with_a_431_problem(nginx: int) -> None:
    reply = send(nginx, "GET /api/users HTTP/1.1", {"X-Padding": "a" * 9000})
    assert reply.status == 431
    reply.problem()


def test_nginx_answers_an_oversized_body_with_a_413_problem(nginx: int) -> None:
    reply = send(nginx, "POST /api/users HTTP/1.1", {"Content-Length": str(9 * 1024 * 1024)})
    assert reply.status == 413
    reply.problem()


@pytest.mark.parametrize("path", ["/api/users", "/api/jobs", "/admin/rq/"])
def test_nginx_answers_for_a_service_that_is_down_with_a_502_problem(nginx: int, path: str) -> None:
    reply = send(nginx, f"GET {path} HTTP/1.1")
    assert reply.status == 502
    reply.problem()
    assert reply.headers["retry-after"] == "5"


def test_gunicorn_takes_a_request_line_of_its_limit(gunicorn: int) -> None:
    reply = send(gunicorn, request_line_of(LIMIT))
    assert (reply.status, reply.body) == (200, b"ok")


def test_gunicorn_answers_a_longer_request_line_with_a_414_problem(gunicorn: int) -> None:
    reply = send(gunicorn, request_line_of(LIMIT + 1))
    assert reply.status == 414
    reply.problem()


def test_gunicorn_answers_an_oversized_header_with_a_431_problem(gunicorn: int) -> None:
    reply = send(gunicorn, "GET / HTTP/1.1", {"X-Padding": "a" * 9000})
    assert reply.status == 431
    reply.problem()


def test_gunicorn_answers_a_malformed_request_with_a_400_problem(gunicorn: int) -> None:
    reply = send(gunicorn, "GET / NOT-HTTP")
    assert reply.status == 400
    reply.problem()
