"""Reads of ``/api/jobs``: one job and list pages, cached until the owner's jobs change."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from conveyor_core.jobs.models import Job
from conveyor_web.api import order_by, paginate
from conveyor_web.auth import current_principal

from ... import caching
from ...access import end_transaction, get_job, is_job_id, visible_jobs
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
        end_transaction()
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
        ids = ",".join(map(str, args.get("user_ids") or ()))
        filters = (status, args.get("type"), args.get("user_id"), ids, args.get("schedule_id"))
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
        if args.get("user_ids"):
            paging = (args["page"], args["per_page"], args["sort"])
            envelope = _per_user(query, args["user_ids"], *paging)
        else:
            query = query.order_by(*order_by(Job, args["sort"]))
            envelope = paginate(db.session, query, args["page"], args["per_page"])
        envelope["items"] = [rendering.keep(job) for job in envelope["items"]]
        end_transaction()
        caching.put(key, envelope, any(rendering.is_active(item) for item in envelope["items"]))
    return {**envelope, "items": rendering.show(envelope["items"])}


def _per_user(
    query: Select[Any], user_ids: list[int], page: int, per_page: int, sort: str
) -> dict[str, Any]:
    """Page ``page`` of each listed user's jobs, in two SQL queries whatever their number:
    the counts, then every user's page at once (ranked within each user by ``sort``)."""
    query = query.where(Job.user_id.in_(user_ids))
    listed = query.subquery()
    counted = select(listed.c.user_id, func.count()).group_by(listed.c.user_id)
    counts = {int(user_id): int(count) for user_id, count in db.session.execute(counted)}
    offset = (page - 1) * per_page
    items: list[Job] = []
    # Past every user's end nothing is asked: a huge page would overflow the driver's integer.
    if offset < max(counts.values(), default=0):
        rank = func.row_number().over(partition_by=Job.user_id, order_by=order_by(Job, sort))
        ranked = query.add_columns(rank.label("rank")).subquery()
        job = aliased(Job, ranked)
        rows = (
            select(job)
            .where(ranked.c.rank > offset, ranked.c.rank <= offset + per_page)
            .order_by(ranked.c.user_id, ranked.c.rank)
        )
        items = list(db.session.execute(rows).scalars())
    most = max(counts.values(), default=0)
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": sum(counts.values()),
        "pages": math.ceil(most / per_page),
        "totals": {str(user_id): counts.get(user_id, 0) for user_id in user_ids},
    }
