"""gunicorn settings for job-api: gevent workers, so an open ``/api/events`` stream costs a
greenlet, not a thread or a process, and requests switch without contending for the GIL.

Use: ``gunicorn -c python:job_api.gunicorn_conf 'job_api:create_app()'`` (flags given on the
command line override these). Each setting can also be changed by an environment variable,
read when gunicorn starts.

gevent's worker monkey-patches the standard library when it starts, before it loads the app,
so redis-py and SQLAlchemy's pool wait cooperatively, and psycopg 3 notices the patching and
waits through gevent too. SQLite calls do block the worker, but each is short, and a wait for
SQLite's write lock sleeps cooperatively (``conveyor_core.jobs.db.begin_immediate``).
"""

from __future__ import annotations

import os

# Limits and problem-document refusals every Conveyor server shares (gunicorn reads them here).
from conveyor_web.gunicorn_conf import limit_request_line, on_starting

__all__ = ["limit_request_line", "on_starting"]


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


bind = _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8002')}")
workers = int(_env("WEB_CONCURRENCY", "2"))


worker_class = _env("GUNICORN_WORKER_CLASS", "gevent")
threads = int(_env("GUNICORN_THREADS", "256"))  # if GUNICORN_WORKER_CLASS=gthread

# Open connections one worker serves at once: every open event stream holds one.
worker_connections = int(_env("GUNICORN_WORKER_CONNECTIONS", "1000"))

# A gevent worker reports liveness from its own loop, so long streams do not trip this; a
# worker stuck in blocking code for this long is restarted.
timeout = int(_env("GUNICORN_TIMEOUT", "30"))

# On shutdown, open streams get this long before they are cut; clients then reconnect (to
# another worker) with Last-Event-ID and miss nothing.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "10"))

# Idle keep-alive between requests on one connection (behind nginx's upstream keepalive).
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))

# The app is loaded in each worker after gevent has patched the standard library.
preload_app = False

# Several gunicorns on one host would fight over the default control socket path.
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
