"""Hand one message to the SMTP server, with a hook just before the DATA command."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from .exceptions import PermanentDeliveryError


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect (``SMTP_*`` settings)."""

    host: str
    port: int
    sender: str
    timeout: float = 30.0
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmtpSettings:
        """Pick the SMTP settings out of the notifier's config."""
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            sender=config["SMTP_FROM"],
            timeout=config["SMTP_TIMEOUT"],
            username=config["SMTP_USERNAME"],
            password=config["SMTP_PASSWORD"],
            starttls=config["SMTP_STARTTLS"],
        )


class Connection:
    """One SMTP session that sends messages one envelope at a time."""

    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self.client = client
        self.sender = sender

    def send(self, message: EmailMessage, to: str, before_data: Callable[[], None]) -> None:
        """Send ``message`` to ``to``; ``before_data`` runs once the envelope is accepted.

        Raises :class:`PermanentDeliveryError` on a 5xx refusal of the recipient or the
        message, and ``smtplib.SMTPException``/``OSError`` on anything worth retrying.
        """
        code, reply = self.client.mail(self.sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, self.sender)
        code, reply = self.client.rcpt(to)
        if code >= 500:
            raise PermanentDeliveryError(f"recipient refused: {code} {reply!r}")
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
        before_data()
        code, reply = self.client.data(message.as_bytes())
        if code >= 500:
            raise PermanentDeliveryError(f"message refused: {code} {reply!r}")
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)


@contextmanager
def connect(settings: SmtpSettings) -> Iterator[Connection]:
    """Open a session (STARTTLS and login when configured); QUIT errors are ignored.

    The message is already accepted when QUIT runs, so a failing QUIT must not turn a
    delivered message into an error that would send it again.
    """
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        client.ehlo()
        if settings.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        yield Connection(client, settings.sender)
        with suppress(smtplib.SMTPException, OSError):
            client.quit()
    finally:
        client.close()
