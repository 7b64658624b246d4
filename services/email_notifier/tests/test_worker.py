"""End to end: ``python -m email_notifier`` and ``python -m email_notifier.sink`` as processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import subprocess
import sys
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Retry, Worker
from rq.job import Job, JobStatus

from conveyor_core import notifications
from conveyor_testing import DEADLINE, wait_for
from email_notifier.ledger import SENDING, SENT, Ledger
from email_notifier.sink import MailDir

from .conftest import mails

WELCOME = {
    "key": "welcome:7",
    "to": "ada@example.test",
    "template": notifications.WELCOME,
    "context": {"username": "ada"},
}


class HangsOnFirstData(MailDir):
    """Hold the first message's DATA unanswered until told, then refuse it (never stored)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.arrived.is_set():
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, DEADLINE)
            return "451 Requested action aborted: local error in processing"
        return await super().handle_DATA(server, session, envelope)


def finished(job: Job) -> bool:
    return job.get_status(refresh=True) == JobStatus.FINISHED


def test_smtp_down_is_retried_and_delivers_once_the_server_is_up(
    connection: redis.Redis,
    start_notifier: Callable[[], subprocess.Popen[bytes]],
    start_smtp: Callable[..., Any],
    mail_dir: Path,
    ledger: Ledger,
) -> None:
    start_notifier()
    notifications.send_email(connection, **WELCOME, retry=Retry(max=5, interval=1))
    queue = Queue(notifications.QUEUE, connection=connection)
    wait_for(lambda: queue.scheduled_job_registry.count, "a retry to be scheduled")
    start_smtp()
    [job_id] = wait_for(queue.finished_job_registry.get_job_ids, "the job to finish")
    assert Job.fetch(job_id, connection=connection).return_value() == "sent"
    assert len(mails(mail_dir)) == 1
    row = ledger.get("welcome:7")
    assert row is not None and row.state == SENT and row.attempts >= 2


def test_notifier_killed_mid_send_delivers_once_after_restart(
    connection: redis.Redis,
    start_notifier: Callable[[], subprocess.Popen[bytes]],
    start_smtp: Callable[..., Any],
    mail_dir: Path,
    ledger: Ledger,
) -> None:
    handler = HangsOnFirstData(mail_dir)
    start_smtp(handler)
    first = start_notifier()
    notifications.send_email(connection, **WELCOME)  # default retries and job timeout
    assert handler.arrived.wait(DEADLINE), "the notifier never reached DATA"
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its scheduler, like a lost container
    first.wait(timeout=DEADLINE)
    handler.release.set()  # the server drops the dead connection's message
    row = ledger.get("welcome:7")
    assert row is not None and row.state == SENDING

    start_notifier()  # finds the dead worker's delivery by itself, as after a real restart

    queue = Queue(notifications.QUEUE, connection=connection)
    [job_id] = wait_for(queue.finished_job_registry.get_job_ids, "the job to finish")
    assert Job.fetch(job_id, connection=connection).return_value() == "sent"
    [message] = mails(mail_dir)
    assert message["To"] == "ada@example.test"
    row = ledger.get("welcome:7")
    assert row is not None and row.state == SENT and row.attempts == 2


def test_log_lines_carry_the_request_id_and_job_id(
    connection: redis.Redis,
    environ: dict[str, str],
    start_notifier: Callable[[], subprocess.Popen[bytes]],
    start_smtp: Callable[..., Any],
    tmp_path: Path,
    ledger: Ledger,
) -> None:
    environ["LOG_DIR"] = str(tmp_path / "log")
    start_smtp()
    start_notifier()
    notifications.send_email(connection, **WELCOME, request_id="req-42")
    queue = Queue(notifications.QUEUE, connection=connection)
    [job_id] = wait_for(queue.finished_job_registry.get_job_ids, "the job to finish")
    log = tmp_path / "log" / "email-notifier.log"

    def sent_lines() -> list[dict[str, Any]]:  # one writer thread writes the file in batches
        lines = log.read_text().splitlines() if log.exists() else []
        found = [json.loads(line) for line in lines]
        return [r for r in found if r["message"].startswith("email welcome:7 sent")]

    [sent] = wait_for(sent_lines, "the sent line in the log file")
    assert sent["request_id"] == "req-42"
    assert sent["job_id"] == job_id
    assert sent["service"] == "email-notifier"


def test_sink_stores_each_message_and_stops_on_ctrl_c(
    environ: dict[str, str], smtp_port: int, mail_dir: Path, tmp_path: Path
) -> None:
    log = (tmp_path / "sink.log").open("wb")
    sink = subprocess.Popen(
        [sys.executable, "-m", "email_notifier.sink"],
        env={**os.environ, **environ},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.test", "b@x.test", "hi"
        message.set_content("hello")
        client = wait_for(lambda: _connect(smtp_port), "the sink to listen")
        with client:
            client.send_message(message)
        [stored] = mails(mail_dir)
        assert stored["Subject"] == "hi" and stored["X-Envelope-To"] == "b@x.test"
        sink.send_signal(signal.SIGINT)
        assert sink.wait(timeout=DEADLINE) == 0
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait(timeout=DEADLINE)


def _connect(port: int) -> smtplib.SMTP | None:
    try:
        return smtplib.SMTP("127.0.0.1", port, timeout=5)
    except OSError:
        return None


STOP_DEADLINE = 10.0
"""Seconds a SIGTERMed idle notifier may take to exit: far below redis-py's 60 s pubsub
sleep, which RQ's own stop waited out."""


def test_sigterm_stops_an_idle_notifier_promptly(
    connection: redis.Redis, start_notifier: Callable[[], subprocess.Popen[bytes]]
) -> None:
    notifier = start_notifier()
    wait_for(lambda: Worker.all(connection=connection), "the notifier to register")
    notifier.send_signal(signal.SIGTERM)
    assert notifier.wait(timeout=STOP_DEADLINE) == 0
