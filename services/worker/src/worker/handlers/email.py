"""``email``: hand one message to the email-notifier (which sends it at most once)."""

from __future__ import annotations

from conveyor_core import notifications

from ..context import JobContext, Outcome


def handle(context: JobContext) -> Outcome:
    payload = context.payload
    # One key per job: a re-run after a crash enqueues the same key, and the notifier
    # sends at most one email per key.
    key = f"job-email:{context.job_id}"
    notifications.send_email(
        context.runtime.redis,
        key=key,
        to=payload["to"],
        template=notifications.MESSAGE,
        context={"subject": payload["subject"], "body": payload["body"]},
        request_id=context.request_id,
    )
    context.progress(100.0, "handed to the email-notifier", force=True)
    return Outcome({"to": payload["to"], "message_key": key})
