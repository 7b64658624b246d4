from pathlib import Path

import pytest

from conveyor_core.exceptions import ConfigurationError
from conveyor_core.settings import Reader, load, parse_flag, parse_tier_weights


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


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("ACCESS_TOKEN_TTL", "abc"),
        ("ACCESS_TOKEN_TTL", "0"),
        ("REFRESH_TOKEN_TTL", "1.5"),
        ("CACHE_TIMEOUT", "-1"),
        ("TIER_WEIGHTS", "free=x"),
    ],
)
def test_a_bad_shared_setting_is_refused_naming_it(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load("x", {name: raw})


def test_every_bad_setting_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError, match=r"ACCESS_TOKEN_TTL.*CACHE_TIMEOUT"):
        load("x", {"ACCESS_TOKEN_TTL": "soon", "CACHE_TIMEOUT": "never"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("1", True), ("yes", True), (" ON ", True), ("True", True)],
        *[("0", False), ("no", False), ("Off", False), ("false", False), ("", False)],
    ],
)
def test_a_flag_reads_the_usual_spellings(text: str, expected: bool) -> None:
    assert parse_flag(text) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "enabled"])
def test_a_flag_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text)):
        parse_flag(text)


def test_the_reader_reads_its_mapping_not_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Reader subclasses environs at its one lookup; an environs upgrade that moves the lookup
    # elsewhere would read os.environ again and fail here.
    monkeypatch.setenv("CONVEYOR_SETTINGS_PROBE", "from-the-process")
    env = Reader({"CONVEYOR_SETTINGS_OTHER": "7"})
    assert env.text("CONVEYOR_SETTINGS_PROBE", "default") == "default"
    assert env.integer("CONVEYOR_SETTINGS_OTHER", 1) == 7
    env.check()
