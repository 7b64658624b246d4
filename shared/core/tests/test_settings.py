from pathlib import Path

import pytest

from conveyor_core.exceptions import ConfigurationError
from conveyor_core.settings import load, parse_tier_weights


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    config = load("job-api", {"VAR_DIR": str(tmp_path)}, database="jobs")
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'jobs.db'}"
    assert config["TIER_WEIGHTS"] == {"free": 1, "pro": 3, "enterprise": 9}
    assert config["ACCESS_TOKEN_TTL"].total_seconds() == 900


def test_environment_overrides_defaults() -> None:
    config = load("user-service", {"DATABASE_URL": "postgresql://db/x", "LOG_LEVEL": "debug"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql://db/x"
    assert config["LOG_LEVEL"] == "DEBUG"


@pytest.mark.parametrize("text", ["free=x", "free=0", "pro=-3"])
def test_bad_tier_weights_are_refused(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_tier_weights(text)
