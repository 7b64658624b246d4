"""Deliveries run by an in-process worker against a real SMTP server, Redis and database."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus

from conveyor_core import logs, notifications
from conveyor_core.rq_worker import PromptSimpleWorker
from email_notifier.exceptions import DeliveryInProgress
from email_notifier.ledger import SENT, Ledger

from .conftest import mails

pytestmark = pytest.mark.usefixtures("notifier")


def work(connection: redis.Redis) -> None:
    queue = Queue(notifications.QUEUE, connection=connection)
    PromptSimpleWorker([queue], connection=connection).work(burst=True, max_jobs=20)


def jobs(connection: redis.Redis) -> list[Job]:
    queue = Queue(notifications.QUEUE, connection=connection)
    ids = queue.finished_job_registry.get_job_ids() + queue.failed_job_registry.get_job_ids()
    return [Job.fetch(job_id, connection=connection) for job_id in ids]


def welcome(connection: redis.Redis, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "key": "welcome:7",
        "to": "ada@example.test",
        "template": notifications.WELCOME,
        "context": {"username": "ada", "user_id": 7},
        "request_id": "req-1",
    }
    notifications.send_email(connection, **{**arguments, **overrides})


def test_welcome_event_sends_one_email_with_both_parts(
    connection: redis.Redis, start_smtp: Callable[..., Any], mail_dir: Path, ledger: Ledger
) -> None:
    start_smtp()
    welcome(connection)
    work(connection)
    [message] = mails(mail_dir)
    assert message["To"] == "ada@example.test"
    assert message["From"] == "conveyor@example.test"
    assert message["X-Envelope-To"] == "ada@example.test"
    assert message["Subject"] == "Welcome to Conveyor, ada"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and "Hello ada" in plain.get_content()
    assert html is not None and "Hello ada" in html.get_content()
    row = ledger.get("welcome:7")
    assert row is not None and row.state == SENT and row.message_id == message["Message-ID"]


def test_same_key_delivered_twice_sends_once(
    connection: redis.Redis, start_smtp: Callable[..., Any], mail_dir: Path
) -> None:
    start_smtp()
    welcome(connection)
    welcome(connection)
    work(connection)
    assert len(mails(mail_dir)) == 1
    assert sorted(str(job.return_value()) for job in jobs(connection)) == ["duplicate", "sent"]


def test_different_keys_send_separately(
    connection: redis.Redis, start_smtp: Callable[..., Any], mail_dir: Path
) -> None:
    start_smtp()
    welcome(connection)
    welcome(connection, key="welcome:8", to="bob@example.test", context={"username": "bob"})
    work(connection)
    assert sorted(message["To"] for message in mails(mail_dir)) == [
        "ada@example.test",
        "bob@example.test",
    ]


@pytest.mark.parametrize(
    "overrides",
    [{"template": "no_such_template"}, {"to": "not an address"}, {"context": {}}],
    ids=["unknown-template", "bad-recipient", "missing-variable"],
)
def test_permanent_error_fails_without_retry_or_mail(
    connection: redis.Redis,
    start_smtp: Callable[..., Any],
    mail_dir: Path,
    ledger: Ledger,
    overrides: dict[str, Any],
) -> None:
    start_smtp()
    welcome(connection, **overrides)
    work(connection)
    [job] = jobs(connection)
    assert job.get_status() == JobStatus.FAILED
    assert not mails(mail_dir)
    assert Queue(notifications.QUEUE, connection=connection).scheduled_job_registry.count == 0


def test_smtp_down_fails_the_attempt_and_schedules_a_retry(
    connection: redis.Redis, ledger: Ledger
) -> None:
    welcome(connection)  # nothing listens on the SMTP port
    work(connection)
    queue = Queue(notifications.QUEUE, connection=connection)
    assert queue.scheduled_job_registry.count == 1
    row = ledger.get("welcome:7")
    assert row is not None and row.state != SENT


def test_a_failed_attempt_is_retried_after_the_first_backoff_interval(
    connection: redis.Redis, ledger: Ledger
) -> None:
    before = time.time()
    welcome(connection)  # nothing listens on the SMTP port
    work(connection)
    registry = Queue(notifications.QUEUE, connection=connection).scheduled_job_registry
    [job_id] = registry.get_job_ids()
    delay = registry.get_scheduled_time(job_id).timestamp() - before
    first = notifications.RETRY_INTERVALS[0]
    assert first - 1 <= delay <= first + 10


def test_the_default_retries_back_off() -> None:
    intervals = notifications.RETRY_INTERVALS
    assert all(later > earlier for earlier, later in itertools.pairwise(intervals))
    assert len(intervals) >= 3


def test_claim_is_refused_while_another_attempt_holds_the_lease(ledger: Ledger) -> None:
    first = ledger.claim(
        "k", recipient="a@b.test", template="t", message_id="<m>", lease_seconds=60
    )
    assert first is not None
    with pytest.raises(DeliveryInProgress):
        ledger.claim("k", recipient="a@b.test", template="t", message_id="<m>", lease_seconds=60)


def test_released_claim_can_be_taken_over_once(ledger: Ledger) -> None:
    first = ledger.claim(
        "k", recipient="a@b.test", template="t", message_id="<m>", lease_seconds=60
    )
    assert first is not None
    ledger.end_lease(first)
    second = ledger.claim(
        "k", recipient="a@b.test", template="t", message_id="<m>", lease_seconds=60
    )
    assert second is not None and second.attempts == 2
    assert not ledger.mark_sent(first)  # the old owner can no longer write
    assert ledger.mark_sent(second)
    assert (
        ledger.claim("k", recipient="a@b.test", template="t", message_id="<m>", lease_seconds=1)
        is None
    )


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """The notifier's log file, at INFO, as ``python -m email_notifier`` configures it."""
    directory = tmp_path / "log"
    logs.configure("email-notifier", "INFO", str(directory))
    return directory


def _email_lines(log_dir: Path) -> list[dict[str, Any]]:
    logs.flush()
    text = (log_dir / "email-notifier.log").read_text()
    records = [json.loads(line) for line in text.splitlines()]
    return [r for r in records if str(r.get("event", "")).startswith("email.")]


def test_a_send_is_one_line_with_the_request_and_user(
    connection: redis.Redis, start_smtp: Callable[..., Any], log_dir: Path
) -> None:
    start_smtp()
    welcome(connection)
    work(connection)
    [line] = _email_lines(log_dir)
    assert (line["event"], line["email_key"], line["attempt"]) == ("email.sent", "welcome:7", 1)
    assert (line["request_id"], line["user_id"]) == ("req-1", "7")
    assert line["service"] == "email-notifier"


def test_a_failed_attempt_is_one_retry_line_with_its_delay(
    connection: redis.Redis, log_dir: Path
) -> None:
    welcome(connection)  # nothing listens on the SMTP port
    work(connection)
    [line] = _email_lines(log_dir)
    assert (line["event"], line["request_id"], line["level"]) == ("email.retry", "req-1", "WARNING")
    assert line["retry_in_seconds"] == notifications.RETRY_INTERVALS[0]
    assert line["error"].startswith(("ConnectionRefusedError", "SMTP", "OSError"))
