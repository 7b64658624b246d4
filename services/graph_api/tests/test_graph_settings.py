"""The graph API's settings: defaults without an environment, and a bad value named at start."""

from __future__ import annotations

import pytest
from graph_api.settings import GraphSettings

from conveyor_core.exceptions import ConfigurationError


def test_defaults_need_no_environment() -> None:
    settings = GraphSettings.from_env({})
    assert settings.graphql_introspection is True
    assert settings.graphql_max_depth == 10


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("GRAPHQL_INTROSPECTION", "sometimes"),
        ("GRAPHQL_MAX_DEPTH", "deep"),
        ("GRAPHQL_MAX_COST", "0"),
        ("BACKEND_TIMEOUT", "-1"),
        ("REFRESH_TOKEN_TTL", "long"),
    ],
)
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        GraphSettings.from_env({name: raw})
