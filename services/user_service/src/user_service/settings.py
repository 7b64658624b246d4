"""Settings only user-service has, read from the environment inside ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from . import passwords, throttle

INTEGER_SETTINGS = {
    **passwords.DEFAULTS,
    **throttle.DEFAULTS,
    "TRUSTED_PROXY_COUNT": 0,
}
"""Each setting's default; the environment variable of the same name overrides it."""

FLOAT_SETTINGS = {
    # Seconds between checks that Redis still holds every revocation (0: no check thread).
    "REVOCATIONS_CHECK_INTERVAL": 1.0,
}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return this service's settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    loaded: dict[str, Any] = {
        name: int(env.get(name, default)) for name, default in INTEGER_SETTINGS.items()
    }
    for name, default in FLOAT_SETTINGS.items():
        loaded[name] = float(env.get(name, default))
    return loaded
