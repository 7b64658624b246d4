"""The operator view's fairness by tier and its search across users."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from local_stack import LocalStack
from playwright.sync_api import expect

from browser.browser_helpers import (
    api_headers,
    make_account,
    screenshot,
    serious_violations,
    sign_in,
    submit_over_api,
    wait_for_status,
)


def _someone_ran_a_job(stack: LocalStack, seconds: float = 0) -> dict[str, Any]:
    """A fresh user's finished timed job (the scene for the admin), with ``username``."""
    account = make_account(stack)
    headers = api_headers(stack, account)
    job = submit_over_api(stack, headers, seconds)
    wait_for_status(stack, headers, job["id"], "completed")
    return {**job, "username": account["username"]}


def _overview(new_page: Callable[..., Any], admin: dict[str, str]) -> Any:
    page = new_page()
    sign_in(page, admin)
    page.get_by_role("button", name="Admin overview").click()
    return page


def test_an_admin_sees_worker_time_per_tier(
    new_page: Callable[..., Any], stack: LocalStack, admin_account: dict[str, str]
) -> None:
    _someone_ran_a_job(stack, seconds=1)
    page = _overview(new_page, admin_account)
    chart = page.get_by_role("img", name=re.compile(r"^Worker time per tier"))
    expect(chart).to_have_attribute("aria-label", re.compile(r"free delivered [1-9]\d*%"))
    free = page.get_by_role("table", name="Jobs per tier").locator('tr[data-tier="free"]')
    expect(free.locator("td").nth(4)).not_to_have_text("0")
    expect(page.get_by_role("table", name="Workers").locator("tbody tr")).not_to_have_count(0)
    screenshot(page, "admin-fairness")
    assert serious_violations(page) == []


def test_an_admin_finds_another_users_jobs_by_user(
    new_page: Callable[..., Any], stack: LocalStack, admin_account: dict[str, str]
) -> None:
    job = _someone_ran_a_job(stack)
    page = _overview(new_page, admin_account)
    page.get_by_label("Find: user id").fill(str(job["user_id"]))
    page.get_by_label("Find: status").select_option("completed")
    page.get_by_role("button", name="Find jobs").click()
    found = page.get_by_role("table", name="Found jobs").locator("tr[data-job-id]")
    expect(found).to_have_count(1)
    expect(found).to_have_attribute("data-job-id", job["id"])
    expect(found).to_contain_text(f"{job['username']} (#{job['user_id']})")


def test_an_admin_opens_a_found_job_with_its_timeline(
    new_page: Callable[..., Any], stack: LocalStack, admin_account: dict[str, str]
) -> None:
    job = _someone_ran_a_job(stack)
    page = _overview(new_page, admin_account)
    page.get_by_label("Find: job id").fill(job["id"])
    page.get_by_role("button", name="Find jobs").click()
    page.get_by_role("button", name=f"Details of found job {job['id']}").click()
    timeline = page.get_by_role("list", name="Timeline of the job")
    expect(timeline.locator("li")).to_have_count(3)  # queued, started, completed
    expect(timeline).to_contain_text("completed")


def test_an_admin_retries_a_users_failed_jobs_in_bulk(
    new_page: Callable[..., Any], stack: LocalStack, admin_account: dict[str, str]
) -> None:
    account = make_account(stack)
    headers = api_headers(stack, account)
    job = submit_over_api(stack, headers, fail_attempts=1, max_retries=0)
    wait_for_status(stack, headers, job["id"], "failed")
    page = _overview(new_page, admin_account)
    page.get_by_label("Bulk: user id").fill(str(job["user_id"]))
    page.get_by_role("button", name="Retry all failed").click()
    expect(page.get_by_text("Retried 1 jobs.")).to_be_visible()
    wait_for_status(stack, headers, job["id"], "completed")
