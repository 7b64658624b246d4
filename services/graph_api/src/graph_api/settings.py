"""Settings only the graph API has, read from the environment inside ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "USER_SERVICE_URL": "http://127.0.0.1:8001",
    "JOB_API_URL": "http://127.0.0.1:8002",
    "BACKEND_TIMEOUT": 10.0,
    "GRAPHQL_INTROSPECTION": True,
    "GRAPHQL_MAX_DEPTH": 10,
    "GRAPHQL_MAX_COST": 5000,
    "GRAPHQL_MAX_ALIASES": 30,
    "GRAPHQL_MAX_TOKENS": 2000,
}
"""Each setting's default; the environment variable of the same name overrides it."""

_FALSE = {"0", "false", "no", "off", ""}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return this service's settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        raw = env.get(name)
        if raw is None:
            values[name] = default
        elif isinstance(default, bool):
            values[name] = raw.strip().lower() not in _FALSE
        else:
            values[name] = type(default)(raw)
    return values
