"""The notifier's settings, read from environment variables when a process starts."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conveyor_core import settings
from conveyor_core.exceptions import ConfigurationError

SERVICE = "email-notifier"
"""Service name stamped on every log line."""

DATABASE = "notifier"
"""Name of the local SQLite file holding the sent-mail ledger when DATABASE_URL is unset."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(f"{name} must be a positive number, not {raw!r}")
    return value


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the shared settings plus the SMTP ones (``SMTP_*``) and ``MAIL_DIR``."""
    env = os.environ if environ is None else environ
    config = settings.load(SERVICE, env, database=DATABASE)
    config.update(
        SMTP_HOST=env.get("SMTP_HOST", "127.0.0.1"),
        SMTP_PORT=int(env.get("SMTP_PORT", 8025)),
        SMTP_USERNAME=env.get("SMTP_USERNAME") or None,
        SMTP_PASSWORD=env.get("SMTP_PASSWORD") or None,
        SMTP_STARTTLS=_flag(env.get("SMTP_STARTTLS", "false")),
        SMTP_FROM=env.get("SMTP_FROM", "conveyor@localhost"),
        SMTP_TIMEOUT=float(env.get("SMTP_TIMEOUT", 30)),
        MAIL_DIR=env.get("MAIL_DIR", str(Path(config["VAR_DIR"]) / "mail")),
        MAINTENANCE_INTERVAL=int(env.get("NOTIFIER_MAINTENANCE_INTERVAL", 60)),
        # A notifier unseen for this long is dead: its delivery is redone (liveness.py).
        ALIVE_SECONDS=_positive(env, "NOTIFIER_ALIVE_SECONDS", 10.0),
        # A delivery's hold on its ledger row, renewed while it runs (tasks.py).
        LEASE_SECONDS=_positive(env, "NOTIFIER_LEASE_SECONDS", 15.0),
    )
    return config
