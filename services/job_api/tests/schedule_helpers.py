"""Builders and firing helpers shared by the schedule tests."""

from __future__ import annotations

import http.client
import json
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from conveyor_core.jobs.models import Job
from conveyor_core.schedules.firing import Fired, fire_due
from conveyor_web.redis_client import get_redis
from job_api.extensions import db


def every(seconds: int = 60, **fields: Any) -> dict[str, Any]:
    """A schedule of a zero-second timed job every ``seconds``."""
    body: dict[str, Any] = {
        "name": "tick",
        "type": "timed",
        "payload": {"duration_seconds": 0},
        "interval_seconds": seconds,
    }
    body.update(fields)
    return body


def fire(app: Flask, now: datetime, grace: float = 60.0) -> Fired:
    """Run one firing pass of the shared code at ``now``, as a worker's thread does."""
    with app.app_context():
        return fire_due(lambda: db.session, get_redis(), grace=grace, now=now)


def jobs_of(app: Flask, schedule_id: str) -> list[Job]:
    """The jobs a schedule created, by tick."""
    with app.app_context():
        rows = db.session.scalars(
            select(Job).where(Job.schedule_id == schedule_id).order_by(Job.tick)
        ).all()
        db.session.close()
        return list(rows)


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def call(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """One JSON request to a job-api process on 127.0.0.1:``port``; the status and body."""
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body), "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, json.loads(raw) if raw else None
