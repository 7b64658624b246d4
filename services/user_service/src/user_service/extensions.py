"""The Flask extensions this service owns, created unbound and attached in ``create_app``."""

from __future__ import annotations

from pathlib import Path

from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Named constraints, so later migrations can drop them on SQLite (batch mode) too."""


class Base(DeclarativeBase):
    """Declarative base of every model in the users database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
"""Alembic scripts ship inside the package, so ``flask db upgrade`` works from anywhere."""

db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIR)
cache = Cache()
