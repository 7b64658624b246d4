"""Turn a template name and context into a multipart email.

Templates are files under ``templates/``: ``<name>.subject.txt``, ``<name>.txt`` (plain part)
and ``<name>.html`` (HTML part, autoescaped). A missing variable is an error, not a blank.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError

from .exceptions import BadContext, InvalidRecipient, UnknownTemplate

TEMPLATE_DIR = Path(__file__).parent / "templates"
"""Where the template files live."""

DEFAULT_APP_URL = "http://127.0.0.1:8080"
"""Public address templates link to when none is configured (``PUBLIC_URL``)."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+")


@dataclass(frozen=True)
class Rendered:
    """The three rendered parts of one email."""

    subject: str
    text: str
    html: str


class Renderer:
    """Render the ``subject``, text and HTML files of a named template."""

    def __init__(self, directory: Path = TEMPLATE_DIR, *, app_url: str = DEFAULT_APP_URL) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html")),
            keep_trailing_newline=True,
        )
        # Every template may link to the app without each caller passing its address.
        self.environment.globals["app_url"] = app_url.rstrip("/")

    def render(self, template: str, context: dict[str, Any]) -> Rendered:
        """Render ``template`` with ``context``.

        Raises :class:`UnknownTemplate` if it has no files, :class:`BadContext` if a variable
        it needs is missing.
        """
        if not _NAME.fullmatch(template):
            raise UnknownTemplate(template)
        try:
            subject, text, html = (
                self.environment.get_template(f"{template}{suffix}").render(context)
                for suffix in (".subject.txt", ".txt", ".html")
            )
        except TemplateNotFound:
            raise UnknownTemplate(template) from None
        except UndefinedError as error:
            raise BadContext(f"{template}: {error}") from error
        # A subject is one header line: fold any newline a context value brought in.
        return Rendered(" ".join(subject.split()), text, html)


def check_recipient(to: str) -> str:
    """Return ``to`` if it is one plain address (no display name, no list, no header tricks)."""
    if len(to) > 320 or not _ADDRESS.fullmatch(to):
        raise InvalidRecipient(to)
    return to


def message_id(key: str, sender: str) -> str:
    """A Message-ID fixed by the event key, so a resent copy is recognisably the same email."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<conveyor.{digest}@{domain}>"


def build(rendered: Rendered, *, sender: str, to: str, msgid: str) -> EmailMessage:
    """Assemble a multipart/alternative message (plain text first, then HTML)."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders stay quiet
    # Quoted-printable keeps the body 7-bit, so any SMTP server accepts it as is.
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return message
