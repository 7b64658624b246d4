"""Wait until the database (DATABASE_URL) and Redis (REDIS_URL) answer, or give up.

Used by the compose prestart containers before migrations: ``python wait_for.py``.
"""

from __future__ import annotations

import os
import sys
import time

import redis
import sqlalchemy

TIMEOUT = float(os.environ.get("WAIT_FOR_TIMEOUT", "60"))
"""Seconds to wait for both before failing."""


def database_answers(url: str) -> bool:
    engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
        return True
    except sqlalchemy.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def main() -> int:
    checks = {"database": (database_answers, os.environ.get("DATABASE_URL"))}
    checks["redis"] = (redis_answers, os.environ.get("REDIS_URL"))
    deadline = time.monotonic() + TIMEOUT
    waiting = {name for name, (_, url) in checks.items() if url}
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            probe, url = checks[name]
            if url and probe(url):
                print(f"{name} is ready", flush=True)
                waiting.discard(name)
        if waiting:
            time.sleep(1)
    if waiting:
        print(f"gave up after {TIMEOUT:.0f}s waiting for {sorted(waiting)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
