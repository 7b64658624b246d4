"""The graph API's settings, read from the environment inside ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor_core.settings import DeployableSettings, Reader, ServiceSettings

SERVICE = "graph-api"


@dataclass(frozen=True)
class GraphSettings(DeployableSettings):
    """Everything the graph API reads from its environment."""

    service: ServiceSettings
    # The services it answers from, and how long it waits for one.
    user_service_url: str
    job_api_url: str
    backend_timeout: float
    # Whether the schema can be introspected (and GraphiQL served).
    graphql_introspection: bool
    # Limits on one query (schema.py).
    graphql_max_depth: int
    graphql_max_cost: int
    graphql_max_aliases: int
    graphql_max_tokens: int

    @classmethod
    def read(cls, env: Reader) -> GraphSettings:
        """Build the settings from ``env`` (``from_env`` checks them)."""
        return cls(
            service=ServiceSettings.read(env, SERVICE),
            user_service_url=env.text("USER_SERVICE_URL", "http://127.0.0.1:8001"),
            job_api_url=env.text("JOB_API_URL", "http://127.0.0.1:8002"),
            backend_timeout=env.number("BACKEND_TIMEOUT", 10.0, positive=True),
            graphql_introspection=env.flag("GRAPHQL_INTROSPECTION", True),
            graphql_max_depth=env.integer("GRAPHQL_MAX_DEPTH", 10, minimum=1),
            graphql_max_cost=env.integer("GRAPHQL_MAX_COST", 5000, minimum=1),
            graphql_max_aliases=env.integer("GRAPHQL_MAX_ALIASES", 30, minimum=1),
            graphql_max_tokens=env.integer("GRAPHQL_MAX_TOKENS", 2000, minimum=1),
        )


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return this service's settings from ``environ`` (default: the process environment)."""
    return GraphSettings.from_env(environ).flask_config()
