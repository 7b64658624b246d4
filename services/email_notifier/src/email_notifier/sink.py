"""``python -m email_notifier.sink``: a local SMTP server that keeps every message as a file.

Each message becomes ``MAIL_DIR/<time>-<id>.eml`` (default ``var/mail/``), written whole then
renamed, so a reader never sees half a message. Listens on ``SMTP_HOST``:``SMTP_PORT``
(127.0.0.1:8025). Runs in the foreground; Ctrl-C or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller

from conveyor_core import logs

from . import settings

log = logging.getLogger(__name__)

SERVICE = "smtp-sink"
"""Service name on the sink's log lines."""


class MailDir:
    """aiosmtpd handler writing each accepted message to a folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        """Write one message, with its envelope as ``X-Envelope-*`` headers, and return it."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        envelope = f"X-Envelope-From: <{mail_from}>\r\nX-Envelope-To: {', '.join(rcpt_tos)}\r\n"
        partial = path.with_suffix(".tmp")
        partial.write_bytes(envelope.encode() + content)
        os.replace(partial, path)
        return path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        path = self.store(envelope.mail_from, list(envelope.rcpt_tos), content)
        log.info("stored mail to %s as %s", ", ".join(envelope.rcpt_tos), path.name)
        return "250 Message accepted for delivery"


def serve(handler: Any, host: str, port: int) -> Controller:
    """Start an SMTP server for ``handler`` in a background thread and return it."""
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller


def main() -> int:
    """Run the sink until Ctrl-C or SIGTERM."""
    config = settings.load()
    logs.configure(SERVICE, config["LOG_LEVEL"], config["LOG_DIR"] or None)
    directory = Path(config["MAIL_DIR"])
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Both signals are ours before the server listens: a Ctrl-C that came while it started
    # would otherwise be a KeyboardInterrupt outside the loop below.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    controller = serve(MailDir(directory), config["SMTP_HOST"], config["SMTP_PORT"])
    log.info(
        "SMTP sink on %s:%s writing to %s", config["SMTP_HOST"], config["SMTP_PORT"], directory
    )
    try:
        stop.wait()
    finally:
        controller.stop()
        log.info("SMTP sink stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
