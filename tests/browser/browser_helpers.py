"""Helpers of the browser tests: accounts, signing in, screenshots and the axe-core check."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

from local_stack import ROOT, LocalStack, http

AXE = ROOT / "services" / "dashboard" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "reports" / "screenshots"
ADMIN_SCRIPT = ROOT / "infra" / "scripts" / "admin.py"
PASSWORD = "correct horse"


def make_account(stack: LocalStack, admin: bool = False) -> dict[str, str]:
    name = f"web_{uuid.uuid4().hex[:10]}"
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    if admin:
        command = [sys.executable, str(ADMIN_SCRIPT), name, account["email"], PASSWORD]
        env = stack.environment()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=60)
    else:
        reply = http("POST", f"{stack.url}/api/users", account)
        assert reply.status == 201, reply.body
    return account


def api_headers(stack: LocalStack, account: dict[str, str]) -> dict[str, str]:
    """Log in over the API (setting the scene, not what a test checks); bearer headers."""
    login = http("POST", f"{stack.url}/api/auth/login",
                 {"username": account["username"], "password": account["password"]})  # fmt: skip
    assert login.status == 200, login.body
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def submit_over_api(
    stack: LocalStack,
    headers: dict[str, str],
    seconds: float = 0,
    fail_attempts: int = 0,
    **fields: Any,
) -> Any:
    """Submit a timed job over the API (``fields`` beside its payload); return the created job."""
    payload = {"duration_seconds": seconds, "fail_attempts": fail_attempts}
    job = {"type": "timed", "payload": payload, **fields}
    created = http("POST", f"{stack.url}/api/jobs", job, headers)
    assert created.status == 201, created.body
    return created.json()


def wait_for_status(
    stack: LocalStack, headers: dict[str, str], job_id: str, status: str, within: float = 30
) -> None:
    """Poll the job over the API until it has ``status`` (fail after ``within`` seconds)."""
    deadline = time.monotonic() + within
    seen = ""
    while time.monotonic() < deadline:
        seen = http("GET", f"{stack.url}/api/jobs/{job_id}", None, headers).json()["status"]
        if seen == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is {seen!r}, not {status!r}, after {within} s")


def sign_in(page: Any, account: dict[str, str]) -> None:
    """Sign in through the form and wait for the dashboard."""
    page.get_by_label("Username or email").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (from the dashboard's node_modules) on the page; return the serious ones."""
    assert AXE.exists(), f"{AXE} is missing: run `python infra/scripts/dashboard.py build`"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
