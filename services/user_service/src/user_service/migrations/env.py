"""Alembic environment: the one every Conveyor service shares."""

from conveyor_web.migration_env import run

run()
