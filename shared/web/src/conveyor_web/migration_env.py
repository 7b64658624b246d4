"""The Alembic environment every service's migrations run in: Flask-Migrate's (Flask-SQLAlchemy
3) for a service with an app, each ``migrations/env.py`` calling :func:`run`; the notifier,
which has no app, calls :func:`run_without_app` with its tables. ``conveyor_core.migrate``
applies them all."""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy import Engine, MetaData, create_engine, pool

logger = logging.getLogger("alembic.env")


def _database() -> Any:
    return current_app.extensions["migrate"].db


def _engine() -> Engine:
    # Flask-SQLAlchemy 3: ``db.engine`` (``get_engine()`` is deprecated).
    engine: Engine = _database().engine
    return engine


def _metadata() -> MetaData:
    database = _database()
    metadata: MetaData = (
        database.metadatas[None] if hasattr(database, "metadatas") else database.metadata
    )
    return metadata


def _offline() -> None:
    """Emit the SQL for a URL instead of running it (``flask db upgrade --sql``)."""
    url = context.config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _online() -> None:
    """Run the migrations on the app's engine."""

    # No empty revision when autogenerate finds no change.
    def skip_empty(_context: Any, _revision: Any, directives: list[Any]) -> None:
        autogenerate = getattr(context.config.cmd_opts, "autogenerate", False)
        if autogenerate and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = current_app.extensions["migrate"].configure_args
    if options.get("process_revision_directives") is None:
        options["process_revision_directives"] = skip_empty
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=_metadata(), **options)
        with context.begin_transaction():
            context.run_migrations()


def run() -> None:
    """Configure Alembic from the current Flask app and run the migrations."""
    config = context.config
    # alembic.ini's logging only when the app has not configured its own (JSON) logging;
    # otherwise an in-process upgrade (tests) would replace the service's handlers.
    if not logging.getLogger().handlers and config.config_file_name:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = _engine().url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if context.is_offline_mode():
        _offline()
    else:
        _online()


def run_without_app(metadata: MetaData, version_table: str) -> None:
    """Run the migrations of ``metadata``'s tables at the URL the runner set
    (``sqlalchemy.url``, from the package's settings: ``conveyor_core.migrate``).

    ``version_table`` is the package's own, so its tables may share a database with another
    package's migrations (the soak tests put the ledger beside the jobs)."""
    config = context.config
    if not logging.getLogger().handlers and config.config_file_name:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, version_table=version_table
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(str(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=metadata, version_table=version_table
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
