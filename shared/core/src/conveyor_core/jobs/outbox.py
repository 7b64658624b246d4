"""The outbox of the job_finished email: the ``email_owed`` mark on the job row.

:mod:`.store` sets the mark in the transaction that ends a job completed or failed whose
owner asked for an email, so nothing but the row says the email is owed. Whoever ended the
job enqueues the email right after its commit and then clears the mark (:func:`send` and
:func:`settle`); if Redis was unreachable just then, the mark stays and the reconciler's
sweep sends the email later (:func:`send_owed`). Every enqueue of one ending carries the
same key, ``job-finished:{id}:{finished_at}``: the notifier sends at most one email per
key, so an enqueue repeated after a crash between the two steps is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select, update

from conveyor_core import notifications
from conveyor_core.jobs.models import Job
from conveyor_core.jobs.store import AnySession


def key(job: Job) -> str:
    """The event key of the email for ``job``'s ending."""
    finished = job.finished_at.isoformat() if job.finished_at else ""
    return f"job-finished:{job.id}:{finished}"


def send(connection: redis.Redis, job: Job, public_url: str | None = None) -> None:
    """Enqueue the job_finished email for ``job`` as it ended (raises Redis errors).

    Without ``public_url`` the notifier links to the job from its own ``PUBLIC_URL``.
    """
    context: dict[str, Any] = {
        "username": job.owner_name or f"user {job.user_id}",
        "job_id": job.id,
        "job_type": job.type,
        "status": job.status,
        "finished_at": job.finished_at.isoformat() if job.finished_at else "",
    }
    if public_url:
        context["url"] = f"{public_url.rstrip('/')}/api/jobs/{job.id}"
    if job.error:
        context["error"] = job.error
    if job.result is not None:
        context["result"] = job.result
    notifications.send_email(
        connection,
        key=key(job),
        to=job.notify_to or "",
        template=notifications.JOB_FINISHED,
        context=context,
        request_id=job.request_id,
    )


def settle(session: AnySession, job: Job) -> bool:
    """Clear the mark of ``job``'s ending once its email is enqueued; ``False`` if there was
    none. A later ending of the job (a retry by hand) keeps its own mark: it has another
    ``finished_at``. The caller commits."""
    statement = (
        update(Job)
        .where(Job.id == job.id, Job.email_owed.is_(True), Job.finished_at == job.finished_at)
        # Bookkeeping, not a change of the job: updated_at stays as it was.
        .values(email_owed=False, updated_at=Job.updated_at)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def send_owed(
    session: AnySession,
    connection: redis.Redis,
    *,
    ended_before: datetime,
    limit: int,
    also: Sequence[Job] = (),
    public_url: str | None = None,
) -> list[str]:
    """Send the emails still owed for jobs that ended before ``ended_before`` (at most
    ``limit``, the oldest first) and for the jobs in ``also`` that owe one; clear their
    marks and commit. Returns their ids. A Redis error stops it: the marks not yet cleared
    stay for the next call."""
    due = session.scalars(
        select(Job)
        .where(Job.email_owed.is_(True), Job.finished_at <= ended_before)
        .order_by(Job.finished_at)
        .limit(limit)
    ).all()
    owed = {job.id: job for job in (*also, *due) if job.email_owed}
    sent = []
    try:
        for job in owed.values():
            send(connection, job, public_url)
            settle(session, job)
            sent.append(job.id)
    except redis.RedisError:
        session.commit()  # keep the marks already cleared
        raise
    session.commit()
    return sent
