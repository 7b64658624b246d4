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

from conveyor_core.settings import Reader

# Limits and problem-document refusals every Conveyor server shares (gunicorn reads them here).
from conveyor_web.gunicorn_conf import limit_request_line, on_starting, post_worker_init

__all__ = ["limit_request_line", "on_starting", "post_worker_init"]

# Read when gunicorn loads this file, at its start; a bad value stops it, naming the variable.
# A blank variable takes its default, as gunicorn's own environment reading does.
_env = Reader(blank_is_unset=True)

bind = _env.text("GUNICORN_BIND", f"0.0.0.0:{_env.text('PORT', '8002')}")
workers = _env.integer("WEB_CONCURRENCY", 2, minimum=1)


worker_class = _env.text("GUNICORN_WORKER_CLASS", "gevent")
threads = _env.integer("GUNICORN_THREADS", 256, minimum=1)  # if GUNICORN_WORKER_CLASS=gthread

# Open connections one worker serves at once: every open event stream holds one.
worker_connections = _env.integer("GUNICORN_WORKER_CONNECTIONS", 1000, minimum=1)

# A gevent worker reports liveness from its own loop, so long streams do not trip this; a
# worker stuck in blocking code for this long is restarted.
timeout = _env.integer("GUNICORN_TIMEOUT", 30, minimum=0)

# On shutdown, open streams get this long before they are cut; clients then reconnect (to
# another worker) with Last-Event-ID and miss nothing.
graceful_timeout = _env.integer("GUNICORN_GRACEFUL_TIMEOUT", 10, minimum=0)

# Idle keep-alive between requests on one connection (behind nginx's upstream keepalive).
keepalive = _env.integer("GUNICORN_KEEPALIVE", 5, minimum=0)

# The app is loaded in each worker after gevent has patched the standard library.
preload_app = False

# Several gunicorns on one host would fight over the default control socket path.
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = _env.text("LOG_LEVEL", "info").lower()
_env.check()
