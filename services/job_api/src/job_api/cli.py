"""``flask --app job_api jobs reconcile``: run one reconciler sweep by hand."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from conveyor_core.jobs.reconcile import reconcile
from conveyor_web.redis_client import get_redis

from .extensions import db

jobs_cli = AppGroup("jobs", help="Operate on the jobs database.")


@jobs_cli.command("reconcile")
def reconcile_command() -> None:
    """Enqueue committed jobs missing from Redis, recover jobs whose worker died and send
    the finished-job emails still owed."""
    report = reconcile(
        lambda: db.session,
        get_redis(),
        grace=current_app.config["JOB_ENQUEUE_GRACE"],
        lease=current_app.config["JOB_LEASE_SECONDS"],
        public_url=current_app.config.get("PUBLIC_URL"),
    )
    click.echo(
        f"released {len(report.released)}, enqueued {len(report.enqueued)}, "
        f"recovered {len(report.recovered)}, emails sent {len(report.notified)}"
    )


def init_app(app: Flask) -> None:
    """Register the ``jobs`` command group."""
    app.cli.add_command(jobs_cli)
