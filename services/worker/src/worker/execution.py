"""The RQ job functions: ``run(job_id, run_id)`` runs one attempt; ``release(job_id)``
moves a scheduled job to its queue when RQ's scheduler says its time has come.

``run`` claims the row first (a conditional UPDATE): a duplicate delivery, a stale run or a
canceled job finds nothing to claim and returns at once, so a job runs once even when RQ
delivers it twice. Then it runs the handler for the job's type and records how it ended;
the error is re-raised so RQ (and rq-dashboard) see the attempt as failed too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from conveyor_shared import notifications
from conveyor_shared.jobs import backoff, dispatch, events, store
from conveyor_shared.jobs.models import Job, utcnow
from conveyor_shared.jobs.status import COMPLETED, FAILED, SCHEDULED
from conveyor_shared.logs import job_id_var, request_id_var, user_id_var

from . import handlers, runtime
from .context import JobContext, Outcome
from .exceptions import JobStopped, JobTimedOut, WorkerShutdown
from .runtime import Runtime

logger = logging.getLogger(__name__)


def release(job_id: str) -> bool:
    """Queue a scheduled job whose time has come; ``False`` if it was not scheduled."""
    rt = runtime.get()
    with rt.sessions() as session:
        job = store.release(session, job_id)
        session.commit()
    if job is None:
        return False
    dispatch.enqueue(rt.redis, [dispatch.Run.of(job)])
    events.publish(rt.redis, job)
    return True


def run(job_id: str, run_id: str) -> dict[str, Any] | None:
    """Run one attempt of a job (RQ entry point)."""
    rt = runtime.get()
    with rt.sessions() as session:
        job = store.claim(session, job_id, run_id, rt.worker_name, utcnow())
        session.commit()
    if job is None:
        logger.info("run is not current; skipped", extra={"job": job_id, "run": run_id})
        return None
    tokens = (job_id_var.set(job.id), user_id_var.set(str(job.user_id)),
              request_id_var.set(job.request_id))  # fmt: skip
    events.publish(rt.redis, job)
    monitor = rt.monitor
    context = JobContext(rt, job)
    if monitor is not None:
        monitor.begin(job.id, run_id, job.timeout_seconds)
    try:
        try:
            if monitor is not None:
                monitor.enter_body()
            outcome = handlers.for_type(job.type)(context)
        finally:
            if monitor is not None:
                monitor.leave_body()
        _completed(rt, context, outcome)
        return outcome.result
    except JobStopped:
        _stopped(rt, context)
        raise
    except (WorkerShutdown, SystemExit, KeyboardInterrupt):
        _hand_back(rt, context)
        raise
    except JobTimedOut as error:
        _failed(rt, context, str(error))
        raise
    except Exception as error:
        _failed(rt, context, f"{type(error).__name__}: {error}")
        raise
    finally:
        rt.run_seconds = context.elapsed - context.bookkeeping
        if monitor is not None:
            monitor.end()
        job_id_var.reset(tokens[0])
        user_id_var.reset(tokens[1])
        request_id_var.reset(tokens[2])


def _completed(rt: Runtime, context: JobContext, outcome: Outcome) -> None:
    artifact = None
    if outcome.artifact is not None:
        name, media_type = outcome.artifact
        size = (rt.artifacts_dir / context.job_id / name).stat().st_size
        artifact = (name, media_type, size)
    with rt.sessions() as session:
        done = store.complete(
            session, context.job_id, context.run_id, result=outcome.result,
            elapsed=context.elapsed, now=utcnow(), artifact=artifact,
        )  # fmt: skip
        session.commit()
    if done:
        _announce(rt, context.job_id)


def _failed(rt: Runtime, context: JobContext, error: str) -> None:
    now = utcnow()
    base = float(rt.config["JOB_RETRY_BASE_SECONDS"])
    cap = float(rt.config["JOB_RETRY_MAX_SECONDS"])
    with rt.sessions() as session:
        job = store.fetch(session, context.job_id)
        if job is None:
            return
        retry_in = None
        if store.retries_left(job) and not job.cancel_requested:
            retry_in = backoff.retry_delay(job.attempts - job.retry_floor, base, cap)
        status = store.fail(
            session, context.job_id, context.run_id, error=error, elapsed=context.elapsed,
            now=now, retry_in=retry_in,
        )  # fmt: skip
        session.commit()
    logger.warning("job attempt failed", extra={"error": error, "status": status})
    if status == SCHEDULED and retry_in is not None:
        due = now + timedelta(seconds=retry_in)
        dispatch.schedule_releases(rt.redis, [(context.job_id, due)])
    if status is not None:
        _announce(rt, context.job_id)


def _stopped(rt: Runtime, context: JobContext) -> None:
    with rt.sessions() as session:
        done = store.stopped(session, context.job_id, context.run_id, elapsed=context.elapsed,
                             now=utcnow())  # fmt: skip
        session.commit()
    if done:
        _announce(rt, context.job_id)


def _hand_back(rt: Runtime, context: JobContext) -> None:
    with rt.sessions() as session:
        job = store.hand_back(session, context.job_id, context.run_id, elapsed=context.elapsed,
                              now=utcnow())  # fmt: skip
        session.commit()
    if job is not None:
        dispatch.enqueue(rt.redis, [dispatch.Run.of(job)])
        events.publish(rt.redis, job)


def _announce(rt: Runtime, job_id: str) -> None:
    """Publish the job's new state; email its owner if it ended and they asked."""
    with rt.sessions() as session:
        job = store.fetch(session, job_id)
    if job is None:
        return
    events.publish(rt.redis, job)
    if job.status in (COMPLETED, FAILED) and job.notify_email and job.notify_to:
        _notify(rt, job)


def _notify(rt: Runtime, job: Job) -> None:
    finished = job.finished_at.isoformat() if job.finished_at else ""
    context = {
        "username": job.owner_name or f"user {job.user_id}",
        "job_id": job.id,
        "job_type": job.type,
        "status": job.status,
        "finished_at": finished,
        "url": f"{rt.config['PUBLIC_URL'].rstrip('/')}/api/jobs/{job.id}",
    }
    if job.error:
        context["error"] = job.error
    if job.result is not None:
        context["result"] = job.result
    notifications.send_email(
        rt.redis,
        key=f"job-finished:{job.id}:{finished}",
        to=job.notify_to or "",
        template=notifications.JOB_FINISHED,
        context=context,
        request_id=job.request_id,
    )
