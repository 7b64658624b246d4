"""The contract for asking the email-notifier to send one email, over the RQ queue.

Callers enqueue by dotted name, so they never import the notifier's package.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue, Retry

QUEUE = "notifications"
"""The RQ queue the email-notifier listens on."""

TASK = "email_notifier.tasks.deliver"
"""Dotted name of the notifier's delivery function (the RQ job function)."""

WELCOME = "welcome"
"""Template sent on sign-up; context: ``username``."""

JOB_FINISHED = "job_finished"
"""Template sent when a job with ``notify_email`` ends; context: ``username``, ``job_id``,
``job_type``, ``status``, and optionally ``error``, ``finished_at``, ``url``."""

MESSAGE = "message"
"""Free-form email for the ``email`` job type; context: ``subject``, ``body``."""

RETRY_INTERVALS = [10, 30, 60, 300, 900, 1800]
"""Seconds between SMTP retries (RQ repeats the last one); needs a worker with the scheduler."""

JOB_TIMEOUT = 120
"""Seconds one delivery attempt may take before RQ kills it."""

FAILURE_TTL = 7 * 24 * 3600
"""How long a delivery that exhausted its retries stays in the failed registry."""


def send_email(
    connection: redis.Redis,
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    request_id: str | None = None,
    retry: Retry | None = None,
) -> None:
    """Enqueue one delivery of ``template`` to ``to``.

    ``key`` identifies the event (``welcome:{user_id}``, ``job-finished:{job_id}:{finished_at}``,
    ``job-email:{job_id}``): the notifier sends at most one email per key, so enqueuing the
    same event twice is safe. ``retry`` overrides the default backoff (tests use short ones).
    """
    Queue(QUEUE, connection=connection).enqueue(
        TASK,
        kwargs={
            "key": key,
            "to": to,
            "template": template,
            "context": context,
            "request_id": request_id,
        },
        retry=retry or Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
        job_timeout=JOB_TIMEOUT,
        failure_ttl=FAILURE_TTL,
        description=f"email {template} {key}",
    )
