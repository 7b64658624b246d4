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

from conveyor_core.fair import Dispatcher
from conveyor_core.jobs import store
from conveyor_core.jobs.status import STATUSES
from conveyor_core.schedules.models import Schedule
from conveyor_web.redis_client import get_redis

from .extensions import db


class JobCollector(Collector):
    """Collects job counts per status and dispatch figures when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("conveyor_jobs", "Jobs per status", labels=["status"])
        counts = store.count_by_status(db.session)
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


class ScheduleCollector(Collector):
    """Collects schedule counts, and the ticks they fired and missed, when Prometheus scrapes.

    Fires and misses are summed over the schedules that exist (each row keeps its own
    counts, written in the claim that fires a tick): deleting a schedule lowers them."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        schedules = GaugeMetricFamily("conveyor_schedules", "Schedules", labels=["enabled"])
        rows = db.session.execute(
            select(Schedule.enabled, func.count(), func.sum(Schedule.fires),
                   func.sum(Schedule.misses)).group_by(Schedule.enabled)
        ).all()  # fmt: skip
        fires = misses = 0
        counts = {True: 0, False: 0}
        for enabled, total, fired, missed in rows:
            counts[bool(enabled)] = int(total)
            fires, misses = fires + int(fired or 0), misses + int(missed or 0)
        for enabled, total in counts.items():
            schedules.add_metric([str(enabled).lower()], total)
        yield schedules
        yield GaugeMetricFamily(
            "conveyor_schedule_fires", "Ticks fired by the existing schedules", value=fires
        )
        yield GaugeMetricFamily(
            "conveyor_schedule_misses", "Ticks the existing schedules missed", value=misses
        )


def init_app(app: Flask) -> None:
    """Add the job and schedule figures to the app's ``/metrics`` registry."""
    app.extensions["conveyor_metrics"].register(JobCollector())
    app.extensions["conveyor_metrics"].register(ScheduleCollector())
