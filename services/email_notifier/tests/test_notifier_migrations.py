"""The ledger's migrations make the table the notifier's code describes, on a new database
and on one the notifier made itself before it had migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from conveyor_core import migrate
from conveyor_testing import postgres_database
from email_notifier.ledger import VERSION_TABLE, Ledger, metadata

OPTIONS = {"version_table": VERSION_TABLE}


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``database_url``'s kind (the session's one is migrated)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'ledger' / 'notifier.db'}"
        return
    with postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        yield url


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                compare_metadata(MigrationContext.configure(connection, opts=OPTIONS), metadata)
            )
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection, opts=OPTIONS).get_current_revision()
    finally:
        engine.dispose()


def test_the_notifier_is_found_among_the_migrating_packages() -> None:
    assert "email_notifier" in migrate.migrating_packages()


def test_migrations_make_the_ledger_the_code_describes(empty_url: str) -> None:
    migrate.upgrade("email_notifier", {"DATABASE_URL": empty_url})
    assert _differences(empty_url) == []


def test_a_ledger_made_before_migrations_is_kept_and_stamped(empty_url: str) -> None:
    old = Ledger.from_url(empty_url)
    metadata.create_all(old.engine)  # what the notifier did at start before it had migrations
    old.engine.dispose()
    migrate.upgrade("email_notifier", {"DATABASE_URL": empty_url})
    assert _revision(empty_url) is not None
    assert _differences(empty_url) == []
