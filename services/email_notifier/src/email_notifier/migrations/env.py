"""Alembic environment of the sent-mail ledger (no Flask app: the URL comes from the runner)."""

from conveyor_web.migration_env import run_without_app
from email_notifier.ledger import VERSION_TABLE, metadata

run_without_app(metadata, VERSION_TABLE)
