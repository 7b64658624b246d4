"""user-service's settings, read from the environment inside ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor_core.settings import DeployableSettings, Reader, ServiceSettings

from . import passwords, throttle

SERVICE = "user-service"

DATABASE = "users"
"""Name of the local SQLite file when DATABASE_URL is unset."""

REVOCATIONS_CHECK_INTERVAL = 1.0
"""Seconds between checks that Redis still holds every revocation (0: no check thread)."""


@dataclass(frozen=True)
class UserServiceSettings(DeployableSettings):
    """Everything user-service reads from its environment."""

    service: ServiceSettings
    # argon2-cffi's cost parameters (passwords.py owns their defaults).
    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int
    # Failures allowed per window (seconds) before logins are refused (throttle.py).
    login_max_failures_per_account: int
    login_max_failures_per_ip: int
    login_failure_window: int
    trusted_proxy_count: int
    revocations_check_interval: float

    @classmethod
    def read(cls, env: Reader) -> UserServiceSettings:
        """Build the settings from ``env`` (``from_env`` checks them)."""
        cost, limit = passwords.DEFAULTS, throttle.DEFAULTS

        def positive(name: str, defaults: Mapping[str, int]) -> int:
            return env.integer(name, defaults[name], minimum=1)

        return cls(
            service=ServiceSettings.read(env, SERVICE, database=DATABASE),
            argon2_time_cost=positive("ARGON2_TIME_COST", cost),
            argon2_memory_cost=positive("ARGON2_MEMORY_COST", cost),
            argon2_parallelism=positive("ARGON2_PARALLELISM", cost),
            login_max_failures_per_account=positive("LOGIN_MAX_FAILURES_PER_ACCOUNT", limit),
            login_max_failures_per_ip=positive("LOGIN_MAX_FAILURES_PER_IP", limit),
            login_failure_window=positive("LOGIN_FAILURE_WINDOW", limit),
            trusted_proxy_count=env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0),
            revocations_check_interval=env.number(
                "REVOCATIONS_CHECK_INTERVAL", REVOCATIONS_CHECK_INTERVAL
            ),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return this service's settings from ``environ`` (default: the process environment)."""
    return UserServiceSettings.from_env(environ).flask_config()
