"""Job figures on job-api's ``/metrics``: jobs per status and the fair dispatcher's state.

Read at scrape time from the SQL rows (the truth) and Redis, so any job-api replica reports
the same numbers. ``conveyor_jobs{status="queued"}`` is what the worker autoscaler follows
(infra/k8s/worker-scaledobject.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from conveyor_shared.fair import Dispatcher
from conveyor_shared.jobs.models import Job
from conveyor_shared.jobs.status import STATUSES
from conveyor_shared.redis_client import get_redis

from .extensions import db


class JobCollector(Collector):
    """Collects job counts per status and dispatch figures when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("conveyor_jobs", "Jobs per status", labels=["status"])
        rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        counts = {status: int(total) for status, total in rows}
        for status in STATUSES:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        dispatcher = Dispatcher(get_redis(), {})
        yield GaugeMetricFamily(
            "conveyor_fair_active_users", "Users with queued jobs", value=dispatcher.active_users()
        )
        yield GaugeMetricFamily(
            "conveyor_fair_dispatches", "Jobs dispatched so far", value=dispatcher.dispatches()
        )


def init_app(app: Flask) -> None:
    """Add the job figures to the app's ``/metrics`` registry."""
    app.extensions["conveyor_metrics"].register(JobCollector())
