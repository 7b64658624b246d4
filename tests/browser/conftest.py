"""Fixtures of the browser tests: one stack as ``make run`` starts it (behind nginx), Debian's
headless Chromium driven by Playwright, and fresh accounts."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from local_stack import LocalStack

from browser.browser_helpers import make_account, sign_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
TIMEOUT_MS = 20_000


def required(missing: str) -> None:
    """Fail in CI (the browser suite may not go untested), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{missing} must be installed in CI: the browser tests may not be skipped")
    pytest.skip(f"{missing} is not installed here")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if not shutil.which("nginx"):
        required("nginx")
    running = LocalStack("nginx", tmp_path_factory.mktemp("browser-stack"))
    running.start()
    yield running
    leftovers = running.stop()
    assert not leftovers, f"processes outlived the stack's stop: {leftovers}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        required("chromium (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        required("playwright (Python)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any, stack: LocalStack) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (no shared session); closed after the test."""
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        context = browser.new_context(base_url=stack.url, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def account(stack: LocalStack) -> dict[str, str]:
    return make_account(stack)


@pytest.fixture(scope="session")
def admin_account(stack: LocalStack) -> dict[str, str]:
    """One admin for the session (making one runs infra/scripts/admin.py)."""
    return make_account(stack, admin=True)


@pytest.fixture
def signed_in(new_page: Callable[..., Any], account: dict[str, str]) -> Any:
    """A page signed in as a fresh user, its live stream connected."""
    page = new_page()
    sign_in(page, account)
    page.get_by_text("Live", exact=True).wait_for()
    return page
