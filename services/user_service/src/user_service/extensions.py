"""The Flask extensions this service owns, created unbound and attached in ``create_app``."""

from __future__ import annotations

from pathlib import Path

from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from conveyor_core import sql


class Base(DeclarativeBase):
    """Declarative base of every model in the users database."""

    metadata = sql.metadata()


MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
"""Alembic scripts ship inside the package, so ``flask db upgrade`` works from anywhere."""

db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIR)
cache = Cache()
