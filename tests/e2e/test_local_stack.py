"""The local stack end to end, through the gateway, once behind nginx and once without it.

Each run starts infra/scripts/run_local.py (what ``make run`` runs) on free ports with a
temporary VAR_DIR, so it never collides with a developer's own ``make run``.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import redis
from local_stack import ROOT, LocalStack, http, login, poll, signup
from raw_http import request_line_of, send
from rq import Queue

from conveyor_core import notifications
from job_api.resources.events import settings as event_settings

ADMIN = ROOT / "infra" / "scripts" / "admin.py"


def test_gateway_answers_healthz(stack: LocalStack) -> None:
    assert http("GET", f"{stack.url}/healthz").json()["status"] == "ok"


def test_user_service_answers_healthz_and_readyz(stack: LocalStack) -> None:
    base = stack.service_url("USER_SERVICE_PORT")
    assert http("GET", f"{base}/healthz").json()["service"] == "user-service"
    assert http("GET", f"{base}/readyz").status == 200


def test_job_api_answers_healthz_and_readyz(stack: LocalStack) -> None:
    base = stack.service_url("JOB_API_PORT")
    assert http("GET", f"{base}/readyz").status == 200
    assert http("GET", f"{base}/healthz").json()["service"] == "job-api"


def test_signup_returns_the_user_without_secrets(stack: LocalStack) -> None:
    created = signup(stack)
    assert created["user"]["username"] == created["username"]
    assert not {"password", "password_hash"} & set(created["user"])


def test_login_returns_a_token_pair(stack: LocalStack, account: dict[str, Any]) -> None:
    body = login(stack, account["username"], account["password"]).json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"] and body["refresh_token"]


def test_me_is_the_signed_in_user(stack: LocalStack, account: dict[str, Any], token: str) -> None:
    reply = http("GET", f"{stack.url}/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 200
    assert reply.json()["username"] == account["username"]


def test_users_openapi_is_served(stack: LocalStack) -> None:
    spec = http("GET", f"{stack.url}/docs/users/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/users" in spec["paths"]


@pytest.mark.parametrize("path", ["/api/no/such/thing", "/docs/nothing", "/assets/missing.js"])
def test_unknown_api_path_is_a_problem_404(stack: LocalStack, path: str) -> None:
    reply = http("GET", f"{stack.url}{path}")
    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.json()["status"] == 404


@pytest.mark.parametrize("path", ["/", "/jobs/some-page"])
def test_other_paths_are_the_dashboard_page(stack: LocalStack, path: str) -> None:
    reply = http("GET", f"{stack.url}{path}")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b'<div id="root"></div>' in reply.body


def test_dashboard_script_is_served_as_javascript(stack: LocalStack) -> None:
    page = http("GET", f"{stack.url}/").body.decode()
    script = re.search(r'src="(/assets/[^"]+\.js)"', page)
    assert script, page
    reply = http("GET", f"{stack.url}{script.group(1)}")
    assert reply.status == 200
    assert "javascript" in reply.headers["Content-Type"]


def test_a_path_with_a_nul_byte_is_a_problem(stack: LocalStack, token: str) -> None:
    # nginx refuses to read such a path itself (400); the Python gateway hands it to job-api,
    # for which it names no job (404). Either way: a problem document, never HTML.
    reply = http("GET", f"{stack.url}/api/jobs/a%00b", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == (400 if stack.gateway == "nginx" else 404)
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.json()["status"] == reply.status


def test_a_request_line_over_4094_bytes_reaches_the_api(stack: LocalStack) -> None:
    # gunicorn's default limit is 4,094 bytes; it used to answer this with an HTML 414 page.
    reply = send(stack.ports["PORT"], request_line_of(6000))
    assert reply.status == 401  # user-service itself answered: no token
    reply.problem()


def test_a_request_line_over_8190_bytes_is_a_414_problem(stack: LocalStack) -> None:
    reply = send(stack.ports["PORT"], request_line_of(8191))
    assert reply.status == 414
    reply.problem()


@pytest.mark.parametrize("service", ["USER_SERVICE_PORT", "JOB_API_PORT"])
def test_a_services_own_server_answers_an_overlong_request_line_with_a_problem(
    stack: LocalStack, service: str
) -> None:
    reply = send(stack.ports[service], request_line_of(8191, "/healthz"))
    assert reply.status == 414
    reply.problem()


def test_a_body_over_8_mb_is_a_413_problem(stack: LocalStack) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(9 * 1024 * 1024)}
    reply = send(stack.ports["PORT"], "POST /api/jobs HTTP/1.1", headers)
    assert reply.status == 413
    reply.problem()


def test_request_id_is_passed_through(stack: LocalStack) -> None:
    reply = http("GET", f"{stack.url}/api/users/me", headers={"X-Request-ID": "e2e-trace-1"})
    assert reply.headers.get("X-Request-ID") == "e2e-trace-1"


def test_request_id_is_made_when_missing(stack: LocalStack) -> None:
    assert http("GET", f"{stack.url}/no/such/thing").headers.get("X-Request-ID")


def basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_rq_dashboard_refuses_anonymous(stack: LocalStack) -> None:
    reply = http("GET", f"{stack.url}/admin/rq/")
    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith("Basic")


def test_rq_dashboard_refuses_a_non_admin(stack: LocalStack, account: dict[str, Any]) -> None:
    headers = basic(account["username"], account["password"])
    assert http("GET", f"{stack.url}/admin/rq/", headers=headers).status == 401


def test_rq_dashboard_admits_an_admin(stack: LocalStack) -> None:
    name = f"admin_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [sys.executable, str(ADMIN), name, f"{name}@example.com", "admin password"],
        env=stack.environment(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    reply = http("GET", f"{stack.url}/admin/rq/", headers=basic(name, "admin password"))
    assert reply.status == 200
    assert b"RQ" in reply.body


@pytest.mark.parametrize(
    "process", ["user-service", "job-api", "worker-1", "email-notifier", "smtp-sink"]
)
def test_every_process_is_started(stack: LocalStack, process: str) -> None:
    assert stack.programs()[process]["statename"] == "RUNNING"


def new_user(stack: LocalStack) -> tuple[str, dict[str, str]]:
    """Sign up someone new; return their address and bearer headers."""
    created = signup(stack)
    reply = login(stack, created["username"], created["password"])
    assert reply.status == 200, reply.body
    return created["user"]["email"], {"Authorization": f"Bearer {reply.json()['access_token']}"}


def notifications_settled(stack: LocalStack) -> bool:
    """Whether no email is waiting, being sent or due for a retry: the mail is all out."""
    connection = redis.Redis.from_url(stack.redis_url)
    try:
        queue = Queue(notifications.QUEUE, connection=connection)
        busy = queue.scheduled_job_registry.count or queue.started_job_registry.count
        return not (queue.count or busy)
    finally:
        connection.close()


def settled_mails(stack: LocalStack, to: str, match: Callable[[EmailMessage], bool]) -> Any:
    """The messages to ``to`` that ``match``, once there is one and no more can come."""
    if not notifications_settled(stack):
        return None
    found = []
    for path in sorted((stack.var_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to and match(message):  # type: ignore[arg-type]
            found.append(message)
    return found or None


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def test_signup_sends_exactly_one_welcome_email(stack: LocalStack) -> None:
    address = signup(stack)["user"]["email"]
    mails = poll(lambda: settled_mails(stack, address, lambda _: True), 60)
    assert [m["Subject"].startswith("Welcome to Conveyor") for m in mails] == [True]


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [("completed", {}), ("failed", {"max_retries": 0, "payload": {"fail_attempts": 1}})],
    ids=["completed", "failed"],
)
def test_a_job_with_notify_email_sends_exactly_one_email_naming_it(
    stack: LocalStack, outcome: str, extra: dict[str, Any]
) -> None:
    address, auth = new_user(stack)
    payload = {"duration_seconds": 0, **extra.get("payload", {})}
    body = {"type": "timed", "notify_email": True, **extra, "payload": payload}
    created = http("POST", f"{stack.url}/api/jobs", body, headers=auth)
    assert created.status == 201, created.body
    job_id = created.json()["id"]

    mails = poll(lambda: settled_mails(stack, address, lambda m: job_id in m["Subject"]), 90)

    [mail] = mails
    assert mail["Subject"] == f"Your timed job #{job_id} {outcome}"
    text = plain_text(mail)
    assert f"/api/jobs/{job_id}" in text
    assert ("Error:" in text) == (outcome == "failed")


def test_an_email_job_is_sent_through_the_notifier(stack: LocalStack) -> None:
    address, auth = new_user(stack)
    subject = f"e2e message {uuid.uuid4().hex[:8]}"
    payload = {"to": address, "subject": subject, "body": "Sent by an email job."}
    created = http("POST", f"{stack.url}/api/jobs", {"type": "email", "payload": payload}, auth)
    assert created.status == 201, created.body

    mails = poll(lambda: settled_mails(stack, address, lambda m: m["Subject"] == subject), 90)

    [mail] = mails
    assert "Sent by an email job." in plain_text(mail)


def test_jobs_openapi_is_served(stack: LocalStack) -> None:
    spec = http("GET", f"{stack.url}/docs/jobs/openapi.json").json()
    assert {"/api/jobs", "/api/queue", "/api/events", "/api/schedules"} <= set(spec["paths"])


def test_a_schedule_fires_completed_jobs_through_the_gateway(stack: LocalStack) -> None:
    _, auth = new_user(stack)
    body = {"name": "e2e", "type": "timed", "payload": {"duration_seconds": 0},
            "interval_seconds": 1}  # fmt: skip
    created = http("POST", f"{stack.url}/api/schedules", body, headers=auth)
    assert created.status == 201, created.body
    url = f"{stack.url}/api/jobs?status=completed&schedule_id={created.json()['id']}"
    poll(lambda: http("GET", url, headers=auth).json()["total"] >= 2, 60)
    gone = http("DELETE", f"{stack.url}/api/schedules/{created.json()['id']}", headers=auth)
    assert gone.status == 204


def test_events_stream_through_the_gateway(stack: LocalStack, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    request = urllib.request.Request(f"{stack.url}/api/events", headers=headers)
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        # Unbuffered: the first snapshot arrives while the stream stays open.
        lines = [response.readline().strip() for _ in range(6)]
        assert b"event: snapshot" in lines, lines


def sse(response: Any, deadline: float) -> Iterator[tuple[str, str]]:
    """Yield ``(event, data)`` per Server-Sent Event, ``(":", text)`` per comment line."""
    event, data = "message", ""
    while time.monotonic() < deadline:
        line = response.readline().decode().rstrip("\n")
        if line.startswith(":"):
            yield ":", line[1:].strip()
        elif line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data = line.partition(":")[2].strip()
        elif line == "" and data:
            yield event, data
            event, data = "message", ""
    pytest.fail("the stream did not deliver in time")


def test_a_stream_token_streams_a_jobs_events_through_the_gateway(
    stack: LocalStack, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    minted = http("POST", f"{stack.url}/api/events/token", headers=auth)
    assert minted.status == 200, minted.body
    url = f"{stack.url}/api/events?token={minted.json()['token']}"
    seen = []
    with urllib.request.urlopen(url, timeout=20) as response:  # no header, as EventSource
        stream = sse(response, time.monotonic() + 60)
        assert next(name for name, _ in stream if name == "snapshot")  # the stream is live
        body = {"type": "timed", "payload": {"duration_seconds": 0}}
        job_id = http("POST", f"{stack.url}/api/jobs", body, headers=auth).json()["id"]
        for name, data in stream:
            if name.startswith("job.") and json.loads(data)["job_id"] == job_id:
                seen.append(name)
            if name in ("job.completed", "job.failed"):
                break
    assert seen[0] == "job.queued" and seen[-1] == "job.completed", seen
    assert "job.started" in seen


def test_an_idle_stream_gets_keep_alive_comments_through_the_gateway(
    stack: LocalStack, token: str
) -> None:
    request = urllib.request.Request(
        f"{stack.url}/api/events", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        stream = sse(response, time.monotonic() + 30)
        comments: list[str] = []
        for name, text in stream:
            if name == ":":
                comments.append(text)
            if len(comments) == 2:
                break
    assert comments == ["keep-alive", "keep-alive"]


def location_block(config: str, location: str) -> str:
    start = config.index(f"location {location} {{")
    return config[start : config.index("}", start)]


def test_nginx_streams_events_unbuffered_for_longer_than_a_heartbeat() -> None:
    template = (ROOT / "infra" / "nginx" / "conveyor.conf.template").read_text()
    events = location_block(template, "= /api/events")
    assert re.search(r"^\s*proxy_buffering off;", events, re.M)
    timeout = re.search(r"^\s*proxy_read_timeout (\d+)([smh]);", events, re.M)
    assert timeout is not None
    seconds = int(timeout[1]) * {"s": 1, "m": 60, "h": 3600}[timeout[2]]
    # Several heartbeats fit in nginx's read timeout, so an idle stream is never cut.
    assert seconds >= 4 * event_settings.DEFAULTS["EVENTS_HEARTBEAT_SECONDS"]


def test_a_submitted_job_completes(stack: LocalStack, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    body = {"type": "timed", "payload": {"duration_seconds": 0}}
    created = http("POST", f"{stack.url}/api/jobs", body, headers=auth)
    assert created.status == 201, created.body
    url = f"{stack.url}/api/jobs/{created.json()['id']}"

    def finished() -> str | None:
        status = str(http("GET", url, headers=auth).json()["status"])
        return status if status in ("completed", "failed", "canceled") else None

    assert poll(finished, 90) == "completed"


# Last: it empties the stack's Redis.
def test_a_logout_outlives_a_redis_flush(stack: LocalStack) -> None:
    created = signup(stack)
    pair = [login(stack, created["username"], created["password"]) for _ in range(2)]
    out, live = ({"Authorization": f"Bearer {reply.json()['access_token']}"} for reply in pair)
    assert http("POST", f"{stack.url}/api/auth/logout", headers=out).status == 204
    redis.Redis.from_url(stack.redis_url).flushall()
    seen: list[int] = []

    def job_api_refuses() -> bool:
        seen.append(http("GET", f"{stack.url}/api/jobs", headers=out).status)
        return seen[-1] == 401

    poll(job_api_refuses, 30)  # 503 (Retry-After) until user-service rebuilt the view
    assert set(seen) <= {401, 503}, seen
    assert http("GET", f"{stack.url}/api/users/me", headers=out).status == 401
    assert http("GET", f"{stack.url}/api/jobs", headers=live).status == 200
    assert http("GET", f"{stack.url}/api/users/me", headers=live).status == 200
