"""schedules list|create|delete against /api/schedules."""

from __future__ import annotations

import json

from conftest import Cli


def test_create_list_and_delete_a_schedule(signed_in: Cli) -> None:
    payload = '{"duration_seconds": 1}'
    created = signed_in.run("schedules", "create", "timed", "--name", "nightly",
                            "--cron", "0 3 * * *", "--payload", payload, "--json")  # fmt: skip
    assert created.returncode == 0, created.stderr
    schedule = json.loads(created.stdout)
    assert (schedule["name"], schedule["cron"], schedule["next_run_at"] is not None) == (
        "nightly",
        "0 3 * * *",
        True,
    )
    listed = signed_in.run("schedules", "list", "--quiet")
    assert listed.stdout.split() == [schedule["id"]]
    deleted = signed_in.run("schedules", "delete", schedule["id"])
    assert deleted.returncode == 0, deleted.stderr
    assert signed_in.run("schedules", "list", "--quiet").stdout.split() == []


def test_a_schedule_needs_exactly_one_rhythm(signed_in: Cli) -> None:
    done = signed_in.run("schedules", "create", "timed", "--name", "x", "--payload", "{}")
    assert done.returncode == 2
    assert "--cron and --interval" in done.stderr


def test_a_bad_cron_expression_exits_2_with_the_field_error(signed_in: Cli) -> None:
    done = signed_in.run("schedules", "create", "timed", "--name", "x", "--cron", "61 * * * *",
                         "--payload", '{"duration_seconds": 1}')  # fmt: skip
    assert done.returncode == 2
    assert "cron:" in done.stderr
