"""What every Conveyor database shares: one naming convention for constraints and indexes."""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names that are the same on SQLite and PostgreSQL, so a later migration can
name what it drops (Alembic's batch mode on SQLite needs names)."""


def metadata() -> MetaData:
    """A ``MetaData`` for a service's tables, with the shared naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)
