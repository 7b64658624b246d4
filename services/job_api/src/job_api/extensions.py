"""The Flask extensions this service owns, created unbound and attached in ``create_app``."""

from __future__ import annotations

from pathlib import Path

from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from conveyor_core.jobs.models import Base

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
"""Alembic scripts ship inside the package, so ``flask db upgrade`` works from anywhere."""

# The jobs tables are declared in the shared library (the worker uses them too); giving
# Flask-SQLAlchemy their metadata lets Flask-Migrate and ``create_all`` see every table.
# Rows keep their values after a commit: answering from them must not read them again, which
# would open a new transaction (on SQLite, the write lock) during the Redis work that follows.
db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate(directory=MIGRATIONS_DIR)
cache = Cache()
