"""Fixtures for suites that read and write the jobs table directly (the worker's, soak):
a suite's top-level conftest names this module in ``pytest_plugins``, a nested one
imports the fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs.db import make_engine
from conveyor_core.jobs.models import Base, Job


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database with the job engine's tables, for the whole session."""
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on an empty jobs table (each test starts without another's rows)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        session.execute(delete(Job))
        session.commit()
    return factory
