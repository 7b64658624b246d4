"""Run the whole local stack in the foreground: ``make run`` calls this.

Steps: a development key pair under VAR_DIR/keys; a private Redis (unless REDIS_URL is
given) awaited until it answers; each service's migrations; the gateway's config; then
every process under honcho, from a Procfile generated for the packages that exist.
Ctrl-C (or SIGTERM) stops everything, Redis last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

import nginx_conf
import procfile
import redis
from stack import BIN, ROOT, Stack, has_app, migrations_dir

from conveyor_shared import keys

REDIS_START_TIMEOUT = 20.0
"""Seconds to wait for the private Redis to answer PING."""

STOP_TIMEOUT = 20.0
"""Seconds to wait for honcho, then Redis, to stop before killing them."""

MIGRATED = ("user_service", "job_api")
"""Packages whose Flask-Migrate migrations run before the stack starts."""


def log(message: str) -> None:
    print(f"[conveyor] {message}", flush=True)


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def start_redis(stack: Stack, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start the private Redis (own session: Ctrl-C must not stop it before the workers)."""
    if not stack.own_redis:
        log(f"using Redis at {stack.redis_url}")
        return None
    if redis_answers(stack.redis_url):
        raise SystemExit(
            f"something already answers on Redis port {stack.redis_port}: is another "
            "`make run` going? Stop it, or set REDIS_PORT."
        )
    data = stack.var_dir / "redis"
    command = [str(BIN / "python"), "-m", "conveyor_shared.redis_server"]
    with (stack.var_dir / "log" / "redis.log").open("ab") as output:
        process = subprocess.Popen(
            [*command, str(stack.redis_port), str(data)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (stack.var_dir / "run" / "redis.pid").write_text(str(process.pid))
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"redis-server exited with {process.returncode}")
        if redis_answers(stack.redis_url):
            log(f"Redis ready on port {stack.redis_port} (data in {data})")
            return process
        time.sleep(0.05)
    stop(process, "redis")
    raise SystemExit(f"Redis did not answer on port {stack.redis_port}")


def migrate(env: dict[str, str], packages: tuple[str, ...] = MIGRATED) -> None:
    """Apply the migrations of each of ``packages`` that is present."""
    for package in packages:
        if not has_app(package):
            continue
        if migrations_dir(package) is None:
            log(f"{package}: no migrations directory, skipping db upgrade")
            continue
        log(f"{package}: db upgrade")
        subprocess.run(
            [str(BIN / "flask"), "--app", package, "db", "upgrade"], env=env, check=True, cwd=ROOT
        )


def stop(process: subprocess.Popen[bytes] | None, name: str) -> None:
    """Stop ``process`` with SIGTERM, then SIGKILL after the timeout."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
        process.kill()
        process.wait()


def url_map(stack: Stack) -> str:
    base = stack.public_url
    return "\n".join(
        [
            f"Conveyor is at {base}  (gateway: {stack.gateway})",
            f"  {base}/docs/users   user-service API docs",
            f"  {base}/docs/jobs    job-api API docs",
            f"  {base}/admin/rq/    rq-dashboard (admins)",
            f"  mail sink: {stack.var_dir / 'mail'}",
        ]
    )


def main() -> int:
    stack = Stack.from_env()
    for name in ("keys", "redis", "log", "mail", "run"):
        (stack.var_dir / name).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **stack.environment()}
    if keys.ensure(stack.var_dir / "keys"):
        log(f"made a development key pair in {stack.var_dir / 'keys'}")
    redis_process = start_redis(stack, env)
    honcho: subprocess.Popen[bytes] | None = None
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        # Ctrl-C reaches honcho too (same process group); SIGTERM must be passed on.
        if honcho is not None and signum == signal.SIGTERM and honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        migrate(env)
        if stack.gateway == "nginx":
            nginx_conf.write(stack)
        path = stack.var_dir / "run" / "Procfile"
        path.write_text(procfile.render(stack))
        if stopping:
            return 130
        log(f"starting {path}")
        log(url_map(stack))
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "-f", str(path), "-d", str(ROOT), "start"],
            env=env,
        )
        if stopping:  # a signal arrived while honcho was starting
            honcho.send_signal(signal.SIGTERM)
        while True:
            try:
                code = honcho.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - handled by on_signal
                continue
        return 0 if stopping else code
    except subprocess.CalledProcessError as error:
        log(f"failed: {error}")
        return 1
    finally:
        stop(honcho, "honcho")
        stop(redis_process, "redis")
        (stack.var_dir / "run" / "redis.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
