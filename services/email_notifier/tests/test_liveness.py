"""A live notifier keeps its delivery (lease renewed, never redelivered); settings are checked.

A dead notifier's delivery being redone is in ``test_worker.py`` (killed mid-send).
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue, Worker

from conveyor_core import notifications
from conveyor_core.exceptions import ConfigurationError
from conveyor_testing import DEADLINE, wait_for
from email_notifier import liveness, settings
from email_notifier.ledger import Ledger
from email_notifier.sink import MailDir

from .conftest import mails

WELCOME = {
    "key": "welcome:7",
    "to": "ada@example.test",
    "template": notifications.WELCOME,
    "context": {"username": "ada"},
}


class SlowData(MailDir):
    """Hold DATA unanswered until told, then accept and store the message."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, DEADLINE)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow(
    connection: redis.Redis,
    start_smtp: Callable[..., Any],
    start_notifier: Callable[[], subprocess.Popen[bytes]],
    mail_dir: Path,
    ledger: Ledger,
) -> Iterator[SlowData]:
    """A notifier in the middle of DATA (released, if the test did not, at the end)."""
    handler = SlowData(mail_dir)
    start_smtp(handler)
    start_notifier()
    notifications.send_email(connection, **WELCOME)
    assert handler.arrived.wait(DEADLINE), "the notifier never reached DATA"
    yield handler
    handler.release.set()


def test_a_running_delivery_keeps_renewing_its_lease(slow: SlowData, ledger: Ledger) -> None:
    first = ledger.get("welcome:7")
    assert first is not None
    # The lease is 2 s; DATA is held longer than that, and the row stays ours throughout.
    wait_for(
        lambda: (
            (row := ledger.get("welcome:7")) is not None
            and row.lease_until > first.lease_until
            and row.owner == first.owner
        ),
        "the lease to be renewed",
    )


def test_a_live_notifiers_delivery_is_never_taken_from_it(
    slow: SlowData, connection: redis.Redis, mail_dir: Path
) -> None:
    [worker] = Worker.all(connection=connection)
    key = liveness.alive_key(worker.name)
    # Watch the alive key be renewed at least once (its TTL goes up), so the check below
    # runs after the first TTL, when a lapsed key would show.
    first = connection.pttl(key)
    wait_for(lambda: connection.pttl(key) > first, "the alive key to be renewed")
    queue = Queue(notifications.QUEUE, connection=connection)

    assert liveness.recover(connection, queue) == []

    slow.release.set()
    wait_for(queue.finished_job_registry.get_job_ids, "the job to finish")
    assert len(mails(mail_dir)) == 1


@pytest.mark.parametrize("name", ["NOTIFIER_ALIVE_SECONDS", "NOTIFIER_LEASE_SECONDS"])
@pytest.mark.parametrize("raw", ["abc", "0", "-2", "nan", "inf"])
def test_a_bad_liveness_setting_is_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        settings.load({name: raw})
