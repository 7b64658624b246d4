"""What the local stack is made of: settings from the environment and the services present.

Shared by the launcher (``run_local.py``), the Procfile and nginx renderers, and the
Python gateway. A service takes part once its package is installed, so a service that
lands later joins ``make run`` without a change here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root."""

BIN = Path(sys.executable).parent
"""The virtual environment's ``bin`` directory (not resolved: it must stay the venv's)."""

DEFAULTS = {
    "PORT": "8080",
    "USER_SERVICE_PORT": "8001",
    "JOB_API_PORT": "8002",
    "RQ_DASHBOARD_PORT": "8003",
    "GRAPH_API_PORT": "8004",
    "SMTP_PORT": "8025",
    "REDIS_PORT": "6390",
    "JOB_CONCURRENCY": "2",
    "GATEWAY": "auto",
}
"""Local-run settings and their defaults (the README lists them)."""

ROUTES = {
    "user_service": ("/api/users", "/api/auth/", "/docs/users"),
    "job_api": (
        "/api/jobs",
        "/api/queue",
        "/api/events",
        "/api/schedules",
        "/api/admin/",
        "/docs/jobs",
    ),
    "graph_api": ("/graphql",),
    "rq_dashboard": ("/admin/rq",),
}
"""Path prefixes each app serves behind the gateway (mirrors infra/nginx)."""


def installed(package: str) -> bool:
    """Return whether ``package`` can be imported in this environment."""
    return importlib.util.find_spec(package) is not None


def package_file(package: str, relative: str) -> Path | None:
    """Return ``relative`` inside installed ``package`` if it exists (nothing is imported)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.exists():
            return candidate
    return None


def has_module(package: str, module: str) -> bool:
    """Return whether ``package.module`` exists, e.g. ``("worker", "__main__")``."""
    return bool(package_file(package, f"{module}.py") or package_file(package, module))


def has_app(package: str) -> bool:
    """Return whether ``package`` is installed and its ``__init__`` offers ``create_app``."""
    init = package_file(package, "__init__.py")
    return init is not None and "create_app" in init.read_text()


def parse_autoscale(setting: str) -> tuple[int, int]:
    """``WORKER_AUTOSCALE``'s ``"MIN,MAX"`` → ``(MIN, MAX)``; refused unless 1 <= MIN <= MAX."""
    try:
        low, high = (int(part) for part in setting.split(","))
    except ValueError:
        raise SystemExit(
            f"WORKER_AUTOSCALE must be MIN,MAX (two whole numbers), not {setting!r}"
        ) from None
    if not 1 <= low <= high:
        raise SystemExit(f"WORKER_AUTOSCALE needs 1 <= MIN <= MAX, not {setting!r}")
    return low, high


@dataclass(frozen=True)
class Stack:
    """Ports, directories and choices for one local run."""

    var_dir: Path
    gateway_port: int
    user_service_port: int
    job_api_port: int
    rq_dashboard_port: int
    graph_api_port: int
    smtp_port: int
    redis_port: int
    redis_url: str
    own_redis: bool
    concurrency: int
    gateway: str
    autoscale: tuple[int, int] | None = None
    """``WORKER_AUTOSCALE``'s ``(MIN, MAX)``, when workers follow the backlog."""
    dashboard_dir: Path = ROOT / "services" / "dashboard" / "dist"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Stack:
        """Read the stack's settings from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(name) or DEFAULTS[name]

        redis_port = int(get("REDIS_PORT"))
        own_redis = not env.get("REDIS_URL")
        gateway = get("GATEWAY")
        if gateway not in ("auto", "nginx", "python"):
            raise SystemExit(f"GATEWAY must be auto, nginx or python, not {gateway!r}")
        if gateway == "auto":
            gateway = "nginx" if shutil.which("nginx") else "python"
        elif gateway == "nginx" and not shutil.which("nginx"):
            raise SystemExit("GATEWAY=nginx but no nginx on PATH")
        return cls(
            var_dir=Path(env.get("VAR_DIR") or ROOT / "var").resolve(),
            gateway_port=int(get("PORT")),
            user_service_port=int(get("USER_SERVICE_PORT")),
            job_api_port=int(get("JOB_API_PORT")),
            rq_dashboard_port=int(get("RQ_DASHBOARD_PORT")),
            graph_api_port=int(get("GRAPH_API_PORT")),
            smtp_port=int(get("SMTP_PORT")),
            redis_port=redis_port,
            redis_url=env.get("REDIS_URL") or f"redis://127.0.0.1:{redis_port}/0",
            own_redis=own_redis,
            concurrency=max(1, int(get("JOB_CONCURRENCY"))),
            gateway=gateway,
            autoscale=parse_autoscale(env["WORKER_AUTOSCALE"])
            if env.get("WORKER_AUTOSCALE")
            else None,
            dashboard_dir=Path(env.get("DASHBOARD_DIR") or cls.dashboard_dir).resolve(),
        )

    @property
    def worker_programs(self) -> int:
        """Worker programs supervisord holds: MAX when autoscaling, else JOB_CONCURRENCY."""
        return self.autoscale[1] if self.autoscale else self.concurrency

    @property
    def workers_at_start(self) -> int:
        return self.autoscale[0] if self.autoscale else self.concurrency

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def environment(self) -> dict[str, str]:
        """Return the variables every process of the stack gets on top of the caller's."""
        return {
            "VAR_DIR": str(self.var_dir),
            "REDIS_URL": self.redis_url,
            "PUBLIC_URL": self.public_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "USER_SERVICE_URL": f"http://127.0.0.1:{self.user_service_port}",
            "JOB_API_URL": f"http://127.0.0.1:{self.job_api_port}",
            "JOB_CONCURRENCY": str(self.concurrency),
            "PYTHONUNBUFFERED": "1",
            "DASHBOARD_DIR": str(self.dashboard_dir),
            # nginx adds one X-Forwarded-For hop; user-service rate-limits by client address.
            "TRUSTED_PROXY_COUNT": "1" if self.gateway == "nginx" else "0",
        }
