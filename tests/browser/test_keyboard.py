"""Keyboard-only use of the dashboard: Tab, typing and Enter, no pointer at all."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

MOST_TABS = 80
"""Tab presses allowed to reach one control (the page has far fewer stops)."""


def tab_to(page: Any, target: Any) -> None:
    """Press Tab until ``target`` has the focus; fail if it never gets it."""
    for _ in range(MOST_TABS):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_sign_in_submit_and_open_a_job_with_the_keyboard_only(
    new_page: Callable[..., Any], account: dict[str, str]
) -> None:
    page = new_page()
    tab_to(page, page.get_by_label("Username or email"))
    page.keyboard.type(account["username"])
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(account["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    tab_to(page, page.get_by_label("Duration (seconds)"))
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("0")
    tab_to(page, page.get_by_role("button", name="Submit job"))
    page.keyboard.press("Enter")
    details = page.get_by_role("table", name="Jobs").get_by_role(
        "button", name=re.compile("^Details of job")
    )
    expect(details).to_have_count(1)
    job_id = details.get_attribute("aria-label").rsplit(" ", 1)[1]

    tab_to(page, details)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Job {job_id}")).to_be_focused()
    expect(page.get_by_role("list", name="Timeline of the job")).to_contain_text("queued")
