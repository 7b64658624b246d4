"""The gateway's nginx template, its local rendering and the Python fallback's routing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import local_gateway
import nginx_conf
import procfile
import pytest
from stack import ROUTES, Stack

BASE_ENV = {"GATEWAY": "python", "JOB_CONCURRENCY": "3"}


def make_stack(tmp_path: Path, **env: str) -> Stack:
    return Stack.from_env({**BASE_ENV, "VAR_DIR": str(tmp_path), **env})


def nginx_prefixes() -> set[str]:
    """Return the proxied location paths in the template (without `=`)."""
    text = nginx_conf.TEMPLATE.read_text()
    return set(re.findall(r"location =? ?(/[\w/]+) \{\s*proxy_pass", text))


def test_template_variables_are_all_filled_for_a_local_run(tmp_path: Path) -> None:
    text = nginx_conf.TEMPLATE.read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert used == set(nginx_conf.template_values(make_stack(tmp_path)))


def test_substitute_refuses_an_unknown_variable() -> None:
    with pytest.raises(KeyError, match="NOPE"):
        nginx_conf.substitute("listen ${NOPE};", {})


def test_substitute_leaves_nginx_variables_alone() -> None:
    assert nginx_conf.substitute("$request_id ${A}", {"A": "x"}) == "$request_id x"


def test_nginx_and_python_gateways_route_the_same_prefixes() -> None:
    python_prefixes = {prefix.rstrip("/") for prefixes in ROUTES.values() for prefix in prefixes}
    assert {prefix.rstrip("/") for prefix in nginx_prefixes()} == python_prefixes


def test_rendered_config_passes_nginx_t(tmp_path: Path) -> None:
    if not shutil.which("nginx"):
        if os.environ.get("CI"):
            pytest.fail("nginx must be installed in CI")
        pytest.skip("nginx is not installed here")
    config = nginx_conf.write(make_stack(tmp_path, GATEWAY="nginx"))
    prefix = str(config.parent)
    result = subprocess.run(
        ["nginx", "-t", "-e", "stderr", "-p", prefix, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_procfile_runs_one_worker_per_job_concurrency(tmp_path: Path) -> None:
    names = procfile.processes(make_stack(tmp_path))
    workers = [name for name in names if name.startswith("worker-")]
    assert len(workers) in (0, 3)  # none until the worker package exists


def test_procfile_always_has_a_gateway(tmp_path: Path) -> None:
    assert "local_gateway:create_app()" in procfile.processes(make_stack(tmp_path))["gateway"]


def test_stack_refuses_an_unknown_gateway(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        make_stack(tmp_path, GATEWAY="apache")


Start = Callable[..., Any]


def named_app(name: str) -> local_gateway.WSGIApp:
    def app(environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{name} {environ['PATH_INFO']}".encode()]

    return app


def call(app: local_gateway.PrefixRouter, path: str) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]]) -> None:
        status.append(line)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return status[0], body


@pytest.fixture
def router() -> local_gateway.PrefixRouter:
    not_found = local_gateway.problem_app(404, "Not Found", "none")
    return local_gateway.PrefixRouter(
        [("/api/users", named_app("users")), ("/api/auth/", named_app("auth"))], not_found
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/users", b"users /api/users"),
        ("/api/users/7", b"users /api/users/7"),
        ("/api/auth/login", b"auth /api/auth/login"),
    ],
)
def test_router_keeps_the_full_path(
    router: local_gateway.PrefixRouter, path: str, expected: bytes
) -> None:
    assert call(router, path) == ("200 OK", expected)


@pytest.mark.parametrize("path", ["/", "/api/usersx", "/api/auth", "/api"])
def test_router_answers_unknown_paths_with_a_problem(
    router: local_gateway.PrefixRouter, path: str
) -> None:
    status, body = call(router, path)
    assert status.startswith("404")
    assert b'"status": 404' in body


def test_router_refuses_a_body_over_8_mb_with_a_413_problem(
    router: local_gateway.PrefixRouter,
) -> None:
    status: list[str] = []
    headers: list[list[tuple[str, str]]] = []

    def start_response(line: str, sent: list[tuple[str, str]]) -> None:
        status.append(line)
        headers.append(sent)

    environ = {"PATH_INFO": "/api/users", "REQUEST_METHOD": "POST",
               "CONTENT_LENGTH": str(local_gateway.MAX_BODY_BYTES + 1)}  # fmt: skip
    body = b"".join(router(environ, start_response))
    assert status[0].startswith("413")
    assert ("Content-Type", "application/problem+json") in headers[0]
    assert b'"status": 413' in body


@pytest.fixture
def dashboard(tmp_path: Path) -> local_gateway.WSGIApp:
    """The Python gateway's dashboard app over a small built tree."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>page</html>")
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    return local_gateway.dashboard_app(tmp_path, local_gateway.problem_app(404, "Not Found", "x"))


def serve(app: local_gateway.WSGIApp, path: str) -> tuple[str, dict[str, str], bytes]:
    found: list[tuple[str, dict[str, str]]] = []

    def start_response(line: str, headers: list[tuple[str, str]]) -> None:
        found.append((line, dict(headers)))

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "SERVER_NAME": "t", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http"}  # fmt: skip
    answer = app(environ, start_response)
    try:
        body = b"".join(answer)
    finally:
        close = getattr(answer, "close", None)  # what a WSGI server does once it has sent it
        if close is not None:
            close()
    return found[0][0], found[0][1], body


@pytest.mark.parametrize("path", ["/", "/jobs/abc"])
def test_dashboard_pages_are_its_index(dashboard: local_gateway.WSGIApp, path: str) -> None:
    status, headers, body = serve(dashboard, path)
    assert status.startswith("200") and body == b"<html>page</html>"
    assert headers["Content-Type"].startswith("text/html")


def test_dashboard_serves_its_assets(dashboard: local_gateway.WSGIApp) -> None:
    status, headers, body = serve(dashboard, "/assets/app.js")
    assert status.startswith("200") and body == b"console.log(1)"
    assert "javascript" in headers["Content-Type"]


@pytest.mark.parametrize("path", ["/assets/missing.js", "/api/nothing", "/docs/x", "/admin"])
def test_dashboard_never_answers_api_paths_with_its_page(
    dashboard: local_gateway.WSGIApp, path: str
) -> None:
    status, headers, _ = serve(dashboard, path)
    assert status.startswith("404")
    assert headers["Content-Type"] == "application/problem+json"
