"""Reads of ``/api/jobs``: one job and list pages, cached until the owner's jobs change."""

from __future__ import annotations

from typing import Any

from conveyor_shared.api import order_by, paginate
from conveyor_shared.auth import current_principal
from conveyor_shared.jobs.models import Job

from ... import caching
from ...access import get_job, is_job_id, release_database, visible_jobs
from ...extensions import db
from . import rendering


def one(job_id: str) -> dict[str, Any]:
    """Return the answer for one job the caller may see (else raise ``NotFound``)."""
    principal = current_principal()
    # What is no job id is not worth a cache lookup: get_job answers it with NotFound.
    key = caching.key(principal.id, "job", job_id) if is_job_id(job_id) else None
    kept = caching.get(key)
    if kept is None:
        job = get_job(job_id)
        kept = rendering.keep(job)
        release_database()
        if job.user_id == principal.id:
            caching.put(key, kept, rendering.is_active(kept))
    return rendering.show([kept])[0]


def page(args: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """Return one page of the caller's jobs (admins: everyone's), filtered and sorted."""
    principal = current_principal()
    status = status or args.get("status")
    # An admin's page spans users: no one user's version covers it, so it is not cached.
    key = None
    if not principal.is_admin:
        filters = (status, args.get("type"), args.get("user_id"), args.get("schedule_id"))
        key = caching.key(
            principal.id, "list", *filters, args["page"], args["per_page"], args["sort"]
        )
    envelope = caching.get(key)
    if envelope is None:
        query = visible_jobs(principal)
        if status:
            query = query.where(Job.status == status)
        if args.get("type"):
            query = query.where(Job.type == args["type"])
        if args.get("user_id") is not None:
            query = query.where(Job.user_id == args["user_id"])
        if args.get("schedule_id"):
            query = query.where(Job.schedule_id == args["schedule_id"])
        query = query.order_by(*order_by(Job, args["sort"]))
        envelope = paginate(db.session, query, args["page"], args["per_page"])
        envelope["items"] = [rendering.keep(job) for job in envelope["items"]]
        release_database()
        caching.put(key, envelope, any(rendering.is_active(item) for item in envelope["items"]))
    return {**envelope, "items": rendering.show(envelope["items"])}
