"""Make an admin: ``make admin USERNAME=… EMAIL=… PASSWORD=…`` runs this.

Runs ``flask --app user_service create-admin`` with the local stack's environment after
applying the migrations. user-service needs Redis for this (cache invalidation, session
revocation, the welcome email): when the local Redis is not running, it is started on its
own data directory for the duration, so the welcome email waits in the queue for the next
``make run``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import run_local
from stack import BIN, ROOT, Stack, has_app


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not all(argv):
        print("usage: make admin USERNAME=name EMAIL=address PASSWORD=secret", file=sys.stderr)
        return 2
    if not has_app("user_service"):
        print("user-service is not installed (make install)", file=sys.stderr)
        return 1
    stack = Stack.from_env()
    for name in ("redis", "log", "run"):
        (stack.var_dir / name).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **stack.environment()}
    temporary = None
    if stack.own_redis and not run_local.redis_answers(stack.redis_url):
        temporary = run_local.start_redis(stack, env)
    try:
        run_local.migrate(env, packages=("user_service",))
        command = [str(BIN / "flask"), "--app", "user_service", "create-admin", *argv]
        return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
    finally:
        run_local.stop(temporary)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
