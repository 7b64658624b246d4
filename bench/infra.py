"""The project's own launch pieces, reused so the bench measures what ``make run`` runs.

``job_api.gunicorn_conf`` gives the gunicorn settings (gevent workers) and ``infra/scripts/
nginx_conf.py`` the gateway's server block (rendered from ``infra/nginx``). When either is
missing the bench falls back to an equivalent of its own and says so in the report.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from .config import ROOT
from .context import BIN

SCRIPTS = ROOT / "infra" / "scripts"

WORKERS = 2
"""gunicorn worker processes for every app served in (b) and (f): one per core here, as
``job_api.gunicorn_conf`` defaults to (``WEB_CONCURRENCY``) and the issue measured."""

THREADS = 32
"""gunicorn threads of the gthread fallback (when ``job_api.gunicorn_conf`` is missing)."""

JOB_API_CONF = "job_api.gunicorn_conf"
"""job-api's own gunicorn settings (gevent workers), used for every app so all match."""


def _module(name: str) -> ModuleType | None:
    if str(SCRIPTS) not in sys.path:
        sys.path.append(str(SCRIPTS))
    try:
        return importlib.import_module(name)
    except Exception:  # a half-written infra script must not stop the bench
        return None


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def gunicorn_argv(
    app: str, port: int, name: str, worker_class: str | None = None
) -> tuple[list[str], str]:
    """Return ``(argv, settings described)`` serving ``app`` on loopback with job-api's
    gunicorn settings (``worker_class="sync"`` keeps them but swaps the worker class)."""
    bind = ["--bind", f"127.0.0.1:{port}", "--name", name, "--workers", str(WORKERS)]
    if _has_module(JOB_API_CONF):
        argv = [str(BIN / "gunicorn"), "-c", f"python:{JOB_API_CONF}", *bind]
        if worker_class:
            argv += ["--worker-class", worker_class]
        described = f"{worker_class or 'gevent'}, {WORKERS} workers ({JOB_API_CONF})"
        return [*argv, app], described
    worker_class = worker_class or "gthread"
    argv = [str(BIN / "gunicorn"), *bind, "--worker-class", worker_class, "--threads",
            str(THREADS), "--no-control-socket", app]  # fmt: skip
    return argv, f"{worker_class}, {WORKERS} workers (bench fallback)"


def gateway_server(listen: str, job_api: str, access_log: Path) -> tuple[str, str]:
    """Return ``(nginx server block for Conveyor, where it came from)``."""
    nginx_conf = _module("nginx_conf")
    template = ROOT / "infra" / "nginx" / "conveyor.conf.template"
    if nginx_conf is not None and hasattr(nginx_conf, "substitute") and template.exists():
        values = {
            "GATEWAY_LISTEN": listen,
            "GATEWAY_ACCESS_LOG": str(access_log),
            # Only job-api runs in the bench; the other upstreams are never asked.
            "USER_SERVICE_ADDR": "127.0.0.1:9",
            "JOB_API_ADDR": job_api,
            "RQ_DASHBOARD_ADDR": "127.0.0.1:9",
            "GRAPH_API_ADDR": "127.0.0.1:9",
            "DASHBOARD_ROOT": str(ROOT / "services" / "dashboard" / "dist"),
        }
        return nginx_conf.substitute(template.read_text(), values), "infra/nginx template"
    return proxy_server("conveyor_job_api", listen, job_api, access_log), "bench fallback"


def proxy_server(name: str, listen: str, upstream: str, access_log: Path) -> str:
    """A minimal keep-alive reverse proxy server block (the bench's own apps)."""
    return (
        f"upstream {name} {{ server {upstream}; keepalive 16; }}\n"
        f"server {{\n"
        f"    listen {listen};\n"
        f"    access_log {access_log};\n"
        f"    proxy_http_version 1.1;\n"
        f'    proxy_set_header Connection "";\n'
        f"    proxy_set_header Host $http_host;\n"
        f"    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        f"    location / {{ proxy_pass http://{name}; }}\n"
        f"}}\n"
    )


def nginx_main(prefix: Path, servers: Path) -> str:
    """The top-level nginx.conf: foreground, one worker, every path under ``prefix``."""
    nginx_conf = _module("nginx_conf")
    if nginx_conf is not None and hasattr(nginx_conf, "main_config"):
        text = str(nginx_conf.main_config(prefix))
        return text.replace(str(prefix / "conveyor.conf"), str(servers))
    temp = "".join(
        f"    {n}_temp_path {prefix / n};\n"
        for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if _is_root() else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log stderr warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n{temp}    include {servers};\n}}\n"
    )


def _is_root() -> bool:
    return os.geteuid() == 0
