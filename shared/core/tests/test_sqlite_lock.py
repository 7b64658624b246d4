"""SQLite's write lock: a writer waits for it (in Python, see ``jobs.db``), then gives up."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from conveyor_core.jobs.db import configure_sqlite, make_engine


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE things (name TEXT)"))
    engine.dispose()
    return url


@pytest.fixture
def holder(url: str) -> Iterator[sqlite3.Connection]:
    """A plain connection of another writer, holding the write lock until committed."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO things VALUES ('first')")
    yield connection
    connection.close()


def _engine(url: str, lock_timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False})
    configure_sqlite(engine, lock_timeout=lock_timeout)
    return engine


def _names(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM things ORDER BY rowid")]


def test_writer_waits_for_the_lock_then_commits(url: str, holder: sqlite3.Connection) -> None:
    engine = _engine(url, lock_timeout=30)
    waiting, outcome = threading.Event(), []

    def write() -> None:
        waiting.set()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO things VALUES ('second')"))
        outcome.append("committed")

    writer = threading.Thread(target=write)
    writer.start()
    assert waiting.wait(10)
    holder.execute("COMMIT")  # the lock comes free while the writer waits (or before)
    writer.join(30)
    engine.dispose()
    assert outcome == ["committed"]
    assert _names(url) == ["first", "second"]


def test_writer_gives_up_after_the_lock_timeout(url: str, holder: sqlite3.Connection) -> None:
    engine = _engine(url, lock_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as c:
        c.execute(text("INSERT INTO things VALUES ('second')"))
    waited = time.monotonic() - started
    engine.dispose()
    assert waited >= 0.2  # it did wait, not fail at the first try
    holder.execute("COMMIT")
    assert _names(url) == ["first"]


def test_the_busy_timeout_is_restored_after_begin(url: str) -> None:
    engine = _engine(url, lock_timeout=30)
    with engine.begin() as connection:
        busy = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    engine.dispose()
    assert busy == 30_000
