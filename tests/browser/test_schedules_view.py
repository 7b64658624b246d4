"""The signed-in user's schedules in the dashboard, against job-api's /api/schedules."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from browser.browser_helpers import screenshot, serious_violations


def create_schedule(page: Any, name: str, cron: str = "", every: str = "3600") -> Any:
    """Create a schedule through the form; return its row in the Schedules table."""
    page.get_by_role("button", name="My schedules").click()
    page.get_by_label("Schedule name").fill(name)
    if cron:
        page.get_by_label("Cron (5 fields, or 6 with seconds first)").fill(cron)
        page.get_by_label("Time zone").select_option("Europe/Berlin")
    else:
        page.get_by_label("Fixed interval").check()
        page.get_by_label("Every (seconds)").fill(every)
    page.get_by_role("button", name="Create schedule").click()
    rows = page.get_by_role("table", name="Schedules").locator("tr[data-schedule-id]")
    row = rows.filter(has_text=name)
    expect(row).to_have_count(1)
    return row


def _name() -> str:
    return f"nightly-{uuid.uuid4().hex[:6]}"


def test_a_cron_schedule_shows_its_rhythm_and_next_run(signed_in: Any) -> None:
    row = create_schedule(signed_in, _name(), cron="30 2 * * *")
    expect(row).to_contain_text("30 2 * * * (Europe/Berlin)")
    expect(row.locator("td").nth(3)).not_to_have_text("—")
    screenshot(signed_in, "schedules")
    assert serious_violations(signed_in) == []


def test_run_now_shows_in_the_last_fires(signed_in: Any) -> None:
    name = _name()
    create_schedule(signed_in, name)
    signed_in.get_by_role("button", name=f"Run now: {name}").click()
    signed_in.get_by_role("button", name=f"Last fires of {name}").click()
    fires = signed_in.get_by_role("region", name=f"Last fires of {name}")
    expect(fires.locator("li[data-job-id]")).to_have_count(1)


def test_a_schedule_is_disabled(signed_in: Any) -> None:
    name = _name()
    row = create_schedule(signed_in, name)
    signed_in.get_by_role("checkbox", name=f"Enabled: {name}").click()
    expect(row).to_have_attribute("data-enabled", "false")
    expect(row).to_contain_text("disabled")


def test_a_schedule_is_deleted(signed_in: Any) -> None:
    name = _name()
    row = create_schedule(signed_in, name)
    signed_in.get_by_role("button", name=f"Delete schedule {name}").click()
    expect(row).to_have_count(0)
