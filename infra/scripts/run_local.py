"""Run the whole local stack in the foreground: ``make run`` calls this.

Steps: the web dashboard built if its sources changed (infra/scripts/dashboard.py); a
development key pair under VAR_DIR/keys; supervisord with every process as a
program (``supervisor_conf.py``), the private Redis first (unless REDIS_URL is given);
once Redis answers, each service's migrations and the gateway's config; then every other
program. supervisord restarts whatever dies. Ctrl-C (or SIGTERM) stops everything: the
gateway first, workers after their current job, Redis last.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from types import FrameType
from typing import Any

import dashboard
import nginx_conf
import redis
import supervisor_conf
from dotenv import dotenv_values
from stack import BIN, ROOT, Stack
from supervisor.xmlrpc import SupervisorTransport

from conveyor_core.jobs import settings as job_settings
from conveyor_web import jwt_keys

START_TIMEOUT = 30.0
"""Seconds to wait for supervisord's socket and for the private Redis to answer PING."""

STOP_TIMEOUT = 60.0
"""Seconds to wait for supervisord to stop every program (workers finish their job)."""


def log(message: str) -> None:
    print(f"[conveyor] {message}", flush=True)


def start_redis(stack: Stack, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the private Redis on its own, outside supervisord (``make admin`` needs it
    for one command while the stack is down); wait until it answers."""
    command = [str(BIN / "python"), "-m", "conveyor_testing.redis_server"]
    process = subprocess.Popen(
        [*command, str(stack.redis_port), str(stack.var_dir / "redis")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    wait_until(lambda: redis_answers(stack.redis_url), "Redis did not answer", process)
    return process


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def control(stack: Stack) -> Any:
    """supervisord's XML-RPC interface, over its unix socket."""
    transport = SupervisorTransport(None, None, f"unix://{supervisor_conf.socket_path(stack)}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def supervisor_state(stack: Stack) -> str:
    """supervisord's own state; a fresh connection each time (one that failed is broken)."""
    with control(stack) as server:
        return str(server.supervisor.getState()["statename"])


def wait_until(check: Callable[[], Any], what: str, process: subprocess.Popen[bytes]) -> None:
    """Poll ``check()`` until true; fail if supervisord exits or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"supervisord exited with {process.returncode}")
        try:
            if check():
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.05)
    raise SystemExit(f"{what} within {START_TIMEOUT:.0f}s")


def migrate(env: dict[str, str], packages: tuple[str, ...] = ()) -> None:
    """Apply the migrations of ``packages`` (default: every installed package that ships
    them, found by ``conveyor_core.migrate``) to the local databases."""
    command = [str(BIN / "python"), "-m", "conveyor_core.migrate", *packages]
    subprocess.run(command, env=env, check=True, cwd=ROOT)


def url_map(stack: Stack) -> str:
    base = stack.public_url
    return "\n".join(
        [
            f"Conveyor is at {base}  (gateway: {stack.gateway}; the web dashboard)",
            f"  {base}/docs/users   user-service API docs",
            f"  {base}/docs/jobs    job-api API docs",
            f"  {base}/admin/rq/    rq-dashboard (admins)",
            f"  mail sink: {stack.var_dir / 'mail'}",
            f"  processes: make status  (supervisorctl -c {stack.var_dir}/run/supervisord.conf)",
        ]
    )


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop ``process`` (supervisord stops its programs in reverse priority), then make sure."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"pid {process.pid} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
        process.kill()
        process.wait()


def main() -> int:
    # A .env file at the repository root fills in what the environment leaves unset.
    for name, value in dotenv_values(ROOT / ".env").items():
        if value is not None:
            os.environ.setdefault(name, value)
    stack = Stack.from_env()
    for name in ("keys", "redis", "log", "mail", "run"):
        (stack.var_dir / name).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **stack.environment()}
    if jwt_keys.ensure(stack.var_dir / "keys"):
        log(f"made a development key pair in {stack.var_dir / 'keys'}")
    if stack.own_redis and redis_answers(stack.redis_url):
        raise SystemExit(
            f"something already answers on Redis port {stack.redis_port}: is another "
            "`make run` going? Stop it, or set REDIS_PORT."
        )
    if stack.dashboard_dir == dashboard.DIST:  # a DASHBOARD_DIR given is built already
        dashboard.build()
    if stack.gateway == "nginx":
        nginx_conf.write(stack)
    config = stack.var_dir / "run" / "supervisord.conf"
    grace = job_settings.load(env)["JOB_SHUTDOWN_GRACE"]
    config.write_text(supervisor_conf.render(stack, grace))
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log(f"starting supervisord ({config})")
    # Its own session: Ctrl-C reaches this launcher, which stops supervisord in order.
    supervisord = subprocess.Popen(
        [str(BIN / "supervisord"), "-c", str(config)], env=env, start_new_session=True
    )
    try:
        wait_until(lambda: supervisor_state(stack) == "RUNNING",
                   "supervisord did not answer", supervisord)  # fmt: skip
        if stack.own_redis:
            wait_until(lambda: redis_answers(stack.redis_url), "Redis did not answer", supervisord)
            log(f"Redis ready on port {stack.redis_port} (data in {stack.var_dir / 'redis'})")
        else:
            log(f"using Redis at {stack.redis_url}")
        migrate(env)
        if not stopping:
            with control(stack) as server:
                for program in supervisor_conf.programs(stack, grace):
                    if program.at_start and not program.autostart:
                        server.supervisor.startProcess(program.name, False)
            log(url_map(stack))
        while not stopping and supervisord.poll() is None:
            time.sleep(0.2)
        return 0 if stopping else (supervisord.returncode or 1)
    except subprocess.CalledProcessError as error:
        log(f"failed: {error}")
        return 1
    finally:
        stop(supervisord)


if __name__ == "__main__":
    sys.exit(main())
