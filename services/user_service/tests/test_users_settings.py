"""user-service's settings: defaults without an environment, and a bad value named at start."""

from __future__ import annotations

import pytest

from conveyor_core.exceptions import ConfigurationError
from user_service.settings import UserServiceSettings


def test_defaults_need_no_environment() -> None:
    settings = UserServiceSettings.from_env({})
    assert settings.trusted_proxy_count == 0
    assert settings.flask_config()["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 5


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("ARGON2_TIME_COST", "0"),
        ("ARGON2_MEMORY_COST", "lots"),
        ("LOGIN_FAILURE_WINDOW", "1.5"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("REVOCATIONS_CHECK_INTERVAL", "nan"),
    ],
)
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        UserServiceSettings.from_env({name: raw})
