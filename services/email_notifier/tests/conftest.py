"""Fixtures: a real SMTP server on a free port, a clean ledger, and notifier processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete

from conveyor_core import migrate
from conveyor_testing import DEADLINE, free_port
from conveyor_testing.workers import kill_group
from email_notifier import runtime, settings
from email_notifier.ledger import Ledger, sent_mail
from email_notifier.sink import MailDir, serve


def mails(directory: Path) -> list[EmailMessage]:
    """The messages stored in ``directory``, oldest first."""
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted(directory.glob("*.eml"))
    ]


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def start_smtp(smtp_port: int, mail_dir: Path) -> Iterator[Callable[..., Controller]]:
    """Start a real aiosmtpd server on ``smtp_port`` (a MailDir handler unless given one)."""
    started: list[Controller] = []

    def start(handler: Any = None) -> Controller:
        controller = serve(handler or MailDir(mail_dir), "127.0.0.1", smtp_port)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def environ(
    redis_url: str, database_url: str, smtp_port: int, mail_dir: Path, tmp_path: Path
) -> dict[str, str]:
    """Environment variables for a notifier under test."""
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM": "conveyor@example.test",
        "SMTP_TIMEOUT": "5",
        "MAIL_DIR": str(mail_dir),
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_DIR": "",
        "LOG_LEVEL": "INFO",
        "PUBLIC_URL": "http://conveyor.test",
        # Short, so a dead notifier's delivery is redone within seconds.
        "NOTIFIER_ALIVE_SECONDS": "1",
        "NOTIFIER_LEASE_SECONDS": "2",
    }


MIGRATED: set[str] = set()
"""Databases this session has migrated (each lives for the whole session)."""


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    """The ledger, emptied for this test (the database lives for the whole session)."""
    if database_url not in MIGRATED:
        migrate.upgrade("email_notifier", {"DATABASE_URL": database_url})
        MIGRATED.add(database_url)
    book = Ledger.from_url(database_url)
    with book.engine.begin() as connection:
        connection.execute(delete(sent_mail))
    yield book
    book.engine.dispose()


@pytest.fixture
def notifier(environ: dict[str, str], ledger: Ledger) -> Iterator[runtime.Notifier]:
    """The notifier configured in this process, for in-process workers."""
    yield runtime.configure(settings.load(environ))
    runtime.close()


@pytest.fixture
def start_notifier(
    environ: dict[str, str], tmp_path: Path, ledger: Ledger
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start ``python -m email_notifier`` in its own process group (killed as a group), on
    the migrated ledger."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"notifier-{len(processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "email_notifier"],
            env={**os.environ, **environ},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        processes.append(process)
        return process

    yield start
    for process in processes:
        kill_group(process)  # the worker and anything it started
        process.wait(timeout=DEADLINE)
