"""SQL engines for the jobs database that behave under concurrent writers.

On SQLite (local runs) job-api and several worker processes write the same file: WAL lets
readers run beside the writer, a busy timeout makes writers wait instead of failing, and
``BEGIN IMMEDIATE`` takes the write lock up front so a read-then-write transaction never hits
``SQLITE_BUSY`` half way (the classic SQLAlchemy recipe). ``synchronous=NORMAL`` is SQLite's
advice for WAL: a commit survives a crash of any process; only a power loss can take back
the last commits (never corrupt the file), and each commit skips an fsync.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the lock before giving up."""


def configure_sqlite(engine: Engine) -> None:
    """Give a SQLite engine WAL, a busy timeout and immediate write transactions."""
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def engine_options(url: str) -> dict[str, Any]:
    """Engine options for ``url`` (also Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS``)."""
    if url.startswith("sqlite"):
        return {
            "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        }
    return {"pool_pre_ping": True}


def make_engine(url: str) -> Engine:
    """Create an engine for the jobs database."""
    engine = create_engine(url, **engine_options(url))
    configure_sqlite(engine)
    return engine
