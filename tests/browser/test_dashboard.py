"""The web dashboard in headless Chromium, through nginx, against the stack as make run runs it.

Elements are found by their accessible names (SPEC.md section 6): those names are the contract.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_stack import LocalStack, http
from PIL import Image
from playwright.sync_api import expect

from browser.browser_helpers import (
    api_headers,
    make_account,
    screenshot,
    serious_violations,
    sign_in,
    submit_over_api,
)

JOB_ROW = "tr[data-job-id]"


def submit_timed(page: Any, seconds: str, fail_attempts: str = "0", retries: str = "3") -> Any:
    """Submit a timed job through the form; return its row (the newest job leads the table)."""
    before = set(page.locator(JOB_ROW).evaluate_all("rows => rows.map(r => r.dataset.jobId)"))
    page.get_by_label("Job type").select_option("timed")
    page.get_by_label("Duration (seconds)").fill(seconds)
    page.get_by_label("Fail the first attempts").fill(fail_attempts)
    page.get_by_label("Max retries").fill(retries)
    page.get_by_role("button", name="Submit job").click()
    jobs = page.get_by_role("table", name="Jobs")
    expect(jobs.locator(JOB_ROW)).to_have_count(len(before) + 1)
    ids = jobs.locator(JOB_ROW).evaluate_all("rows => rows.map(r => r.dataset.jobId)")
    (new_id,) = set(ids) - before
    return jobs.locator(f'tr[data-job-id="{new_id}"]')


def test_sign_up_through_the_form(new_page: Callable[..., Any]) -> None:
    page = new_page()
    page.get_by_role("button", name="Create one").click()
    name = f"signup_{uuid.uuid4().hex[:10]}"
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill("a good password")
    screenshot(page, "sign-up")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_and_out_through_the_form(
    new_page: Callable[..., Any], account: dict[str, str]
) -> None:
    page = new_page()
    screenshot(page, "sign-in")
    sign_in(page, account)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_wrong_password_shows_the_problem(
    new_page: Callable[..., Any], account: dict[str, str]
) -> None:
    page = new_page()
    sign_in_form = {**account, "password": "not the password"}
    page.get_by_label("Username or email").fill(sign_in_form["username"])
    page.get_by_label("Password").fill(sign_in_form["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\w+"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def _note_list(request: Any, lists: list[str]) -> None:
    if request.method == "GET" and urlsplit(request.url).path == "/api/jobs":
        lists.append(request.url)


def test_a_timed_job_moves_and_completes_without_a_reload(
    signed_in: Any, new_page: Callable[..., Any], stack: LocalStack
) -> None:
    other = new_page()
    sign_in(other, make_account(stack))
    lists: list[str] = []  # the page's requests for a page of jobs (GET /api/jobs?...)
    signed_in.on("request", lambda request: _note_list(request, lists))
    row = submit_timed(signed_in, "3")
    bar = row.get_by_role("progressbar")
    job_id = row.get_attribute("data-job-id")
    elsewhere = other.locator(f'tr[data-job-id="{job_id}"]')
    seen: set[str] = set()
    lists_when_running = -1
    # Poll the bar until it has shown two different values or the job has finished.
    while len(seen) < 2 and row.get_attribute("data-status") != "completed":
        assert elsewhere.count() == 0, "the second user's page shows the job"
        if bar.count():
            seen.add(bar.get_attribute("aria-valuenow") or "")
            lists_when_running = len(lists) if lists_when_running < 0 else lists_when_running
        signed_in.wait_for_timeout(100)
    screenshot(signed_in, "jobs-running")
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(row).to_contain_text("completed")
    assert len(seen - {""}) >= 2, f"the progress bar never moved: {seen}"
    # From running to completed the row moved by /api/events alone: no page of jobs was fetched.
    assert lists[max(0, lists_when_running) :] == [], lists
    expect(signed_in.get_by_role("status")).to_contain_text("completed")
    expect(elsewhere).to_have_count(0)
    screenshot(signed_in, "jobs")
    assert serious_violations(signed_in) == []


def test_a_long_job_is_canceled_from_the_page(signed_in: Any) -> None:
    row = submit_timed(signed_in, "600")
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-status", "canceled", timeout=30_000)


def test_a_failed_job_is_retried_from_the_page(signed_in: Any) -> None:
    row = submit_timed(signed_in, "0", fail_attempts="1", retries="0")
    expect(row).to_have_attribute("data-status", "failed", timeout=30_000)
    expect(signed_in.get_by_role("status")).to_contain_text("failed")
    row.get_by_role("button", name="Retry").click()
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)


def test_an_export_is_downloaded(signed_in: Any) -> None:
    submit_timed(signed_in, "0")
    signed_in.get_by_label("Job type").select_option("export")
    signed_in.get_by_label("Export format").select_option("csv")
    signed_in.get_by_role("button", name="Submit job").click()
    row = signed_in.locator(JOB_ROW).filter(has_text="export")
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
    row.get_by_role("button", name=re.compile("^Details of job")).click()
    with signed_in.expect_download() as download:
        signed_in.get_by_role("button", name=re.compile("^Download")).click()
    content = Path(download.value.path()).read_text()
    assert "timed" in content and "completed" in content, content[:500]
    screenshot(signed_in, "job-detail")
    assert serious_violations(signed_in) == []


def test_an_admin_sees_the_overview_with_completed_jobs(
    new_page: Callable[..., Any], stack: LocalStack, admin_account: dict[str, str]
) -> None:
    created = submit_over_api(stack, api_headers(stack, admin_account))
    page = new_page()
    sign_in(page, admin_account)
    expect(page.locator(f'tr[data-job-id="{created["id"]}"]')).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    page.get_by_role("button", name="Admin overview").click()
    chart = page.get_by_role("img", name=re.compile(r"^Jobs per status"))
    expect(chart).to_have_attribute("aria-label", re.compile(r"completed [1-9]"))
    throughput = page.get_by_role("img", name=re.compile(r"^Throughput"))
    expect(throughput).to_have_attribute("aria-label", re.compile(r": [1-9]\d* completed"))
    expect(throughput.locator("rect.bar-completed[height]:not([height='0'])")).not_to_have_count(0)
    expect(page.get_by_role("link", name="Open rq-dashboard")).to_have_attribute(
        "href", "/admin/rq/"
    )
    screenshot(page, "admin-overview")
    assert serious_violations(page) == []


def test_sign_in_view_passes_axe(new_page: Callable[..., Any]) -> None:
    assert serious_violations(new_page()) == []


def test_sign_up_view_passes_axe(new_page: Callable[..., Any]) -> None:
    page = new_page()
    page.get_by_role("button", name="Create one").click()
    assert serious_violations(page) == []


def test_jobs_view_passes_axe_on_a_phone(
    new_page: Callable[..., Any], account: dict[str, str]
) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, account)
    submit_timed(page, "0")
    expect(page.locator(JOB_ROW)).to_have_attribute("data-status", "completed", timeout=30_000)
    screenshot(page, "jobs-phone")
    assert serious_violations(page) == []
    # Usable at 390 px: the page itself never scrolls sideways (the jobs table scrolls in its box).
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"


def test_an_ended_session_asks_to_sign_in_and_keeps_what_was_typed(
    signed_in: Any, stack: LocalStack, account: dict[str, str]
) -> None:
    signed_in.get_by_label("Duration (seconds)").fill("42")
    # The session ends elsewhere: its own tokens are revoked (POST /api/auth/logout).
    tokens = signed_in.evaluate("JSON.parse(sessionStorage.getItem('conveyor.tokens'))")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http("POST", f"{stack.url}/api/auth/logout", None, bearer).status in (200, 204)
    signed_in.get_by_role("button", name="Submit job").click()
    dialog = signed_in.get_by_role("dialog")
    expect(dialog).to_contain_text("Your session ended")
    dialog.get_by_label("Username or email").fill(account["username"])
    dialog.get_by_label("Password").fill(account["password"])
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_have_count(0)
    expect(signed_in.get_by_label("Duration (seconds)")).to_have_value("42")
    expect(signed_in.locator(JOB_ROW)).to_have_count(0)  # the refused submission made no job


def test_an_image_from_disk_is_previewed_and_processed(signed_in: Any, tmp_path: Path) -> None:
    picture = tmp_path / "square.png"
    Image.new("RGB", (8, 8), (200, 40, 40)).save(picture)
    signed_in.get_by_label("Job type").select_option("image")
    signed_in.get_by_label("Image file").set_input_files(str(picture))
    preview = signed_in.get_by_role("img", name="Preview of the chosen image")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 8
    signed_in.get_by_role("button", name="Submit job").click()
    row = signed_in.locator(JOB_ROW).filter(has_text="image")
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
