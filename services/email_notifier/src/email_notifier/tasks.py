"""The RQ job function: deliver one notification email, at most once per event key.

Order of a delivery: render (a bad template never holds a key) → claim the key in the ledger
(waiting out the lease of an attempt that died) → connect, MAIL FROM, RCPT TO → mark
``sending`` → DATA → mark ``sent``; the claim's lease is renewed all along (``lease.py``).

Residual risk, by design: if the process dies after the server has accepted DATA but before
the ledger says ``sent`` (a window of one SQL UPDATE, or a reply lost in flight), the next
attempt sends again. It sends the same Message-ID, which mail clients use to fold duplicates,
and logs a warning. The alternative, never resending a ``sending`` row, would lose mail
whenever the server had not yet accepted it; losing an email is worse than an extra copy.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from rq import get_current_job
from rq.job import Job

from conveyor_core import logs

from . import lease, runtime, smtp
from .exceptions import DeliveryInProgress, PermanentDeliveryError
from .ledger import SENDING
from .message import build, check_recipient, message_id

log = logging.getLogger(__name__)


def deliver(
    key: str, to: str, template: str, context: dict[str, Any], request_id: str | None = None
) -> str:
    """Send ``template`` to ``to`` unless the event ``key`` was already sent.

    Returns ``"sent"`` or ``"duplicate"``. SMTP and database errors propagate so that RQ
    retries with backoff; a permanent error (unknown template, refused recipient) fails the
    job without retries.
    """
    job = get_current_job()
    tokens = [
        (logs.request_id_var, logs.request_id_var.set(request_id)),
        (logs.job_id_var, logs.job_id_var.set(_text(context.get("job_id") or (job and job.id)))),
        (logs.user_id_var, logs.user_id_var.set(_text(context.get("user_id")))),
    ]
    try:
        return _deliver(key, to, template, context)
    except PermanentDeliveryError:
        if job is not None:
            job.retries_left = 0  # read by the worker when it handles this failure
        log.exception("email %s to %s cannot be delivered", key, to,
                      extra={"event": "email.failed", "email_key": key})  # fmt: skip
        raise
    except Exception as error:
        _log_retry(key, template, job, error)
        raise
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def _log_retry(key: str, template: str, job: Job | None, error: Exception) -> None:
    """Say that a delivery failed and when RQ tries it again (or that it gives up)."""
    retrying = job is not None and job.should_retry
    log.warning(
        "email %s not sent (%s); %s", key, error,
        f"retrying in {job.get_retry_interval()}s" if job is not None and retrying else "giving up",
        extra={
            "event": "email.retry" if retrying else "email.failed",
            "email_key": key, "template": template, "error": f"{type(error).__name__}: {error}",
            "retry_in_seconds": job.get_retry_interval() if job is not None and retrying else None,
            "retries_left": job.retries_left if job is not None else None,
        },
    )  # fmt: skip


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _deliver(key: str, to: str, template: str, context: dict[str, Any]) -> str:
    notifier = runtime.current()
    lease_seconds = float(notifier.config["LEASE_SECONDS"])
    sender = notifier.smtp.sender
    check_recipient(to)
    rendered = notifier.renderer.render(template, context)
    msgid = message_id(key, sender)
    claim = lease.claim_patiently(
        notifier.ledger, key, recipient=to, template=template, message_id=msgid,
        lease_seconds=lease_seconds,
    )  # fmt: skip
    if claim is None:
        log.info("email %s already sent; skipping", key, extra={"email_key": key})
        return "duplicate"
    if claim.previous_state == SENDING:
        log.warning(
            "email %s: attempt %d resends after an attempt died during DATA; the recipient "
            "may get two copies with Message-ID %s",
            key,
            claim.attempts,
            msgid,
            extra={"email_key": key},
        )
    message = build(rendered, sender=sender, to=to, msgid=msgid)

    def before_data() -> None:
        if not notifier.ledger.mark_sending(claim):
            raise DeliveryInProgress(f"{key}: lease lost before DATA")

    handed_over = False
    try:
        with (
            lease.kept(notifier.ledger, claim, lease_seconds),
            smtp.connect(notifier.smtp) as connection,
        ):
            connection.send(message, to, before_data)
            handed_over = True
            if not notifier.ledger.mark_sent(claim):
                log.error("email %s sent but its lease had been taken over", key)
    except Exception:
        if not handed_over:
            with suppress(Exception):
                notifier.ledger.end_lease(claim)
            raise
        # Sent but not recorded: raising would make RQ send it again; log loudly instead.
        log.exception("email %s was sent but the ledger could not record it", key)
    except BaseException:
        if not handed_over:
            with suppress(Exception):
                notifier.ledger.end_lease(claim)
        raise
    log.info(
        "email %s sent to %s (%s, attempt %d)",
        key,
        to,
        template,
        claim.attempts,
        extra={"event": "email.sent", "email_key": key, "template": template,
               "attempt": claim.attempts, "message_id": msgid},
    )  # fmt: skip
    return "sent"
