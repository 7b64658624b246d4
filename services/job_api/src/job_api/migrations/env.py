"""Alembic environment: the one every Conveyor service shares."""

from conveyor_shared.migration_env import run

run()
