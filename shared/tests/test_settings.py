from pathlib import Path

import pytest

from conveyor_shared.exceptions import ConfigurationError
from conveyor_shared.keys import ensure
from conveyor_shared.settings import load, parse_tier_weights


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    config = load("job-api", {"VAR_DIR": str(tmp_path)}, database="jobs")
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'jobs.db'}"
    assert config["TIER_WEIGHTS"] == {"free": 1, "pro": 3, "enterprise": 9}
    assert config["ACCESS_TOKEN_TTL"].total_seconds() == 900


def test_environment_overrides_defaults() -> None:
    config = load("user-service", {"DATABASE_URL": "postgresql://db/x", "LOG_LEVEL": "debug"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql://db/x"
    assert config["LOG_LEVEL"] == "DEBUG"


def test_key_files_are_read(tmp_path: Path) -> None:
    ensure(tmp_path / "keys")
    config = load("x", {"VAR_DIR": str(tmp_path)})
    assert "BEGIN PUBLIC KEY" in config["JWT_PUBLIC_KEY"]
    assert "BEGIN PRIVATE KEY" in config["JWT_PRIVATE_KEY"]


def test_ensure_keeps_an_existing_pair(tmp_path: Path) -> None:
    assert ensure(tmp_path) is True
    before = (tmp_path / "jwt_public.pem").read_text()
    assert ensure(tmp_path) is False
    assert (tmp_path / "jwt_public.pem").read_text() == before


@pytest.mark.parametrize("text", ["free=x", "free=0", "pro=-3"])
def test_bad_tier_weights_are_refused(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_tier_weights(text)
