"""The notifier's settings, read from environment variables when a process starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor_core.settings import DeployableSettings, Reader, ServiceSettings

SERVICE = "email-notifier"
"""Service name stamped on every log line."""

DATABASE = "notifier"
"""Name of the local SQLite file holding the sent-mail ledger when DATABASE_URL is unset."""


@dataclass(frozen=True)
class NotifierSettings(DeployableSettings):
    """Everything the notifier (its worker and the local SMTP sink) reads at start."""

    service: ServiceSettings
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_from: str
    smtp_timeout: float
    mail_dir: str
    maintenance_interval: int
    # A notifier unseen for this long is dead: its delivery is redone (liveness.py).
    alive_seconds: float
    # A delivery's hold on its ledger row, renewed while it runs (tasks.py).
    lease_seconds: float

    @classmethod
    def read(cls, env: Reader) -> NotifierSettings:
        """Build the settings from ``env`` (``from_env`` checks them)."""
        service = ServiceSettings.read(env, SERVICE, database=DATABASE)
        return cls(
            service=service,
            smtp_host=env.text("SMTP_HOST", "127.0.0.1"),
            smtp_port=env.integer("SMTP_PORT", 8025, minimum=0),
            smtp_username=env.optional_text("SMTP_USERNAME"),
            smtp_password=env.optional_text("SMTP_PASSWORD"),
            smtp_starttls=env.flag("SMTP_STARTTLS", False),
            smtp_from=env.text("SMTP_FROM", "conveyor@localhost"),
            smtp_timeout=env.number("SMTP_TIMEOUT", 30.0, positive=True),
            mail_dir=env.text("MAIL_DIR", str(service.var_dir / "mail")),
            maintenance_interval=env.integer("NOTIFIER_MAINTENANCE_INTERVAL", 60, minimum=1),
            alive_seconds=env.number("NOTIFIER_ALIVE_SECONDS", 10.0, positive=True),
            lease_seconds=env.number("NOTIFIER_LEASE_SECONDS", 15.0, positive=True),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the notifier's settings from environment variables, as a config mapping."""
    return NotifierSettings.from_env(environ).flask_config()
