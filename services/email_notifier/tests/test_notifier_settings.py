"""The notifier's settings: defaults without an environment, and a bad value named at start."""

from __future__ import annotations

import pytest

from conveyor_core.exceptions import ConfigurationError
from email_notifier.settings import NotifierSettings


def test_defaults_need_no_environment() -> None:
    settings = NotifierSettings.from_env({"SMTP_USERNAME": ""})
    assert (settings.smtp_port, settings.smtp_starttls, settings.smtp_username) == (
        8025,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SMTP_PORT", "smtp"),
        ("SMTP_STARTTLS", "maybe"),
        ("SMTP_TIMEOUT", "0"),
        ("NOTIFIER_MAINTENANCE_INTERVAL", "often"),
        ("ACCESS_TOKEN_TTL", "-5"),
    ],
)
def test_a_bad_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        NotifierSettings.from_env({name: raw})
