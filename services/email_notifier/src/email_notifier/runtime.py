"""The notifier's process-wide state, set once when the worker starts.

RQ calls :func:`email_notifier.tasks.deliver` by name with only the event's arguments, so the
settings, ledger and renderer live here. ``python -m email_notifier`` calls :func:`configure`
before it takes any job; under any other RQ worker the first job configures from the
environment (:func:`current`). Nothing is read at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import settings
from .ledger import Ledger
from .message import Renderer
from .smtp import SmtpSettings


@dataclass
class Notifier:
    """Everything a delivery needs."""

    config: dict[str, Any]
    ledger: Ledger
    renderer: Renderer
    smtp: SmtpSettings


_current: Notifier | None = None


def configure(config: dict[str, Any]) -> Notifier:
    """Build the notifier from ``config`` and make it current; the ledger's table must exist
    (its migrations: ``python -m conveyor_core.migrate email_notifier``)."""
    global _current
    close()
    ledger = Ledger.from_url(config["SQLALCHEMY_DATABASE_URI"])
    ledger.check_schema()
    _current = Notifier(
        config, ledger, Renderer(app_url=config["PUBLIC_URL"]), SmtpSettings.from_config(config)
    )
    return _current


def current() -> Notifier:
    """Return the current notifier, configuring it from the environment the first time."""
    return _current if _current is not None else configure(settings.load())


def close() -> None:
    """Drop the current notifier and its database connections."""
    global _current
    if _current is not None:
        _current.ledger.engine.dispose()
    _current = None
