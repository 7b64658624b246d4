"""``export``: stream the caller's own jobs to a CSV, JSON or JSON Lines artifact."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from conveyor_core.jobs.models import Job

from ..context import JobContext, Outcome

COLUMNS = ["id", "type", "status", "priority", "attempts", "max_retries", "created_at",
           "started_at", "finished_at", "time_spent_seconds", "error"]  # fmt: skip
"""Fields of each exported job."""

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}

CHUNK = 500
"""Rows read per round trip."""


def _query(context: JobContext) -> Select[Any]:
    filters: dict[str, Any] = context.payload.get("filters") or {}
    # Only the caller's own jobs: the owner of this export job, never anyone else.
    query = select(Job).where(Job.user_id == context.user_id, Job.id != context.job_id)
    if filters.get("status"):
        query = query.where(Job.status.in_(filters["status"]))
    if filters.get("type"):
        query = query.where(Job.type.in_(filters["type"]))
    if filters.get("created_after"):
        query = query.where(Job.created_at >= datetime.fromisoformat(filters["created_after"]))
    if filters.get("created_before"):
        query = query.where(Job.created_at < datetime.fromisoformat(filters["created_before"]))
    return query


def _row(job: Job) -> dict[str, Any]:
    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.id, "type": job.type, "status": job.status, "priority": job.priority,
        "attempts": job.attempts, "max_retries": job.max_retries,
        "created_at": stamp(job.created_at), "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at), "time_spent_seconds": job.time_spent(),
        "error": job.error,
    }  # fmt: skip


def handle(context: JobContext) -> Outcome:
    fmt = context.payload.get("format", "csv")
    name = f"jobs-export.{fmt}"
    query = _query(context)
    written = 0
    with context.runtime.sessions() as session, context.artifact(name) as file:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        writer = csv.DictWriter(file, COLUMNS) if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        elif fmt == "json":
            file.write("[")
        ordered = query.order_by(Job.created_at, Job.id).execution_options(yield_per=CHUNK)
        for job in session.scalars(ordered):
            row = _row(job)
            if writer is not None:
                writer.writerow(row)
            elif fmt == "json":
                file.write(("," if written else "") + "\n" + json.dumps(row))
            else:
                file.write(json.dumps(row) + "\n")
            written += 1
            if written % CHUNK == 0:
                context.progress(written / max(total, 1) * 100, f"{written} of {total} rows")
        if fmt == "json":
            file.write("\n]\n")
    return Outcome(
        {"dataset": "jobs", "format": fmt, "rows": written}, artifact=(name, MEDIA_TYPES[fmt])
    )
