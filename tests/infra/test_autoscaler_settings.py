"""The autoscaler's limits: read with the one settings loader, a bad value named at start."""

from __future__ import annotations

import autoscaler
import pytest

from conveyor_core.exceptions import ConfigurationError


def test_limits_have_defaults_beside_the_pool_size() -> None:
    limits = autoscaler.Limits.from_env({"WORKER_AUTOSCALE": "1,3"})
    assert (limits.low, limits.high, limits.backlog_per_worker, limits.idle_seconds) == (
        1,
        3,
        5.0,
        30.0,
    )


@pytest.mark.parametrize(
    ("name", "raw"), [("WORKER_SCALE_UP_BACKLOG", "lots"), ("WORKER_IDLE_SECONDS", "0")]
)
def test_a_bad_limit_is_refused_naming_it(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        autoscaler.Limits.from_env({"WORKER_AUTOSCALE": "1,3", name: raw})
