"""The original brief's submit stack: Express + BullMQ + PostgreSQL (``express/server.mjs``).

One Node process per core (node's ``cluster``), each with a ``pg`` pool and a BullMQ queue;
``POST /jobs`` validates the body, inserts one row and adds one BullMQ job. It serves (b)
behind the same nginx as Conveyor, on a fresh PostgreSQL database of its own.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.engine import make_url

from conveyor_testing import free_port

from ..context import Bench
from ..exceptions import Unavailable
from ..net import wait_answers
from ..procs import Proc
from ..tools import EXPRESS_DIR

QUEUE = "bench-express"

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The PostgreSQL server the peer uses when ``BENCH_DATABASE_URL`` names none: the brief's
stack has no SQLite mode."""

START_TIMEOUT = 60.0
"""Seconds for every cluster process to answer."""


def _node_url(url: str) -> str:
    """The URL as node-postgres reads it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def start(bench: Bench, cleanup: contextlib.ExitStack) -> int:
    """Start the peer on a fresh database; return its port (stopped with ``cleanup``)."""
    bench.require("express")
    from conveyor_testing import postgres_database

    server = bench.config.database_url or DEFAULT_SERVER
    try:
        database = cleanup.enter_context(postgres_database(server))
    except Exception as error:  # no server, or no rights: the row says so
        raise Unavailable(f"cannot create a PostgreSQL database: {error}") from None
    port = free_port()
    env = bench.env(
        BENCH_PORT=str(port),
        BENCH_PG_URL=_node_url(database),
        BENCH_REDIS_URL=bench.peer_url,
        BENCH_QUEUE=QUEUE,
    )
    proc = Proc("express", ["node", "server.mjs"], bench.log("express"), env, EXPRESS_DIR)
    cleanup.callback(proc.stop)
    if not wait_answers(port, "/healthz", START_TIMEOUT):
        raise Unavailable(f"the Express peer did not start: {proc.tail(3)}")
    return port
