"""SQL engines for the jobs database that behave under concurrent writers.

On SQLite (local runs) job-api and several worker processes write the same file: WAL lets
readers run beside the writer, a busy timeout makes writers wait instead of failing, and
``BEGIN IMMEDIATE`` takes the write lock up front so a read-then-write transaction never hits
``SQLITE_BUSY`` half way (the classic SQLAlchemy recipe). ``synchronous=NORMAL`` is SQLite's
advice for WAL: a commit survives a crash of any process; only a power loss can take back
the last commits (never corrupt the file), and each commit skips an fsync.

The wait for the write lock happens in Python, with ``time.sleep`` between tries, not in
SQLite's C busy handler: under gevent (job-api's workers) a sleep in C would stall every
greenlet of the process, the lock holder included when it is one of them, until the timeout.
``time.sleep`` yields to the other greenlets (and releases the GIL under threads). Once
``BEGIN IMMEDIATE`` holds the lock, nothing else in a transaction waits for another writer in
WAL mode; the C busy timeout stays for the rest (a checkpoint of another process).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the lock before giving up."""

LOCK_RETRY_FIRST = 0.0005
"""Seconds before the second try at the write lock; each next wait doubles, up to
:data:`LOCK_RETRY_LONGEST` (short, so a writer hears soon that the lock came free)."""

LOCK_RETRY_LONGEST = 0.01
"""Longest wait between two tries at the write lock, in seconds."""


def begin_immediate(dbapi_connection: sqlite3.Connection, timeout: float) -> None:
    """Take SQLite's write lock (``BEGIN IMMEDIATE``), waiting up to ``timeout`` seconds for
    another writer with ``time.sleep``, which yields under gevent (see the module's notes).

    Raises ``sqlite3.OperationalError`` ("database is locked") if the lock stays taken."""
    deadline = time.monotonic() + timeout
    pause = LOCK_RETRY_FIRST
    dbapi_connection.execute("PRAGMA busy_timeout=0")  # fail at once: the wait is ours
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                # The extended codes (SQLITE_BUSY_RECOVERY, ...) are busy too.
                busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, LOCK_RETRY_LONGEST)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def configure_sqlite(engine: Engine, lock_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
    """Give a SQLite engine WAL, a busy timeout and immediate write transactions that wait
    up to ``lock_timeout`` seconds for the write lock, cooperatively."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        try:
            begin_immediate(connection.connection.driver_connection, lock_timeout)
        except sqlite3.Error as error:  # as SQLAlchemy raises a failed statement's error
            raise exc.OperationalError("BEGIN IMMEDIATE", (), error) from error


NETWORK_TIMEOUT_SECONDS = 5
"""Longest wait for a database server that does not answer, so that a lost PostgreSQL is a
503 within seconds (as a lost Redis is, ``redis_connection.SOCKET_TIMEOUT``), never a hang."""

SERVER_OPTIONS: dict[str, Any] = {
    "pool_pre_ping": True,
    "connect_args": {
        # libpq waits for ever by default, for a server that accepts the connection and then
        # says nothing (a partition, a proxy whose upstream is gone, a server stopped).
        "connect_timeout": NETWORK_TIMEOUT_SECONDS,
        # On a real network, an open connection whose peer vanished is closed by the kernel
        # once sent data goes unacknowledged this long (or idle probes go unanswered).
        "tcp_user_timeout": NETWORK_TIMEOUT_SECONDS * 2_000,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": NETWORK_TIMEOUT_SECONDS,
        "keepalives_count": 2,
    },
}
"""Engine options for a PostgreSQL server (every service's, not only the jobs database)."""


def engine_options(url: str) -> dict[str, Any]:
    """Engine options for ``url`` (also Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS``)."""
    if url.startswith("sqlite"):
        return {
            "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        }
    return SERVER_OPTIONS


def make_engine(url: str) -> Engine:
    """Create an engine for the jobs database."""
    engine = create_engine(url, **engine_options(url))
    configure_sqlite(engine)
    return engine
