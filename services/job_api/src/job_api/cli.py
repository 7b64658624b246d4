"""``flask --app job_api jobs reconcile``: run one reconciler sweep by hand."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from conveyor_shared.jobs.reconcile import reconcile
from conveyor_shared.redis_client import get_redis

from .extensions import db

jobs_cli = AppGroup("jobs", help="Operate on the jobs database.")


@jobs_cli.command("reconcile")
def reconcile_command() -> None:
    """Enqueue committed jobs missing from Redis and recover jobs whose worker died."""
    report = reconcile(
        lambda: db.session,
        get_redis(),
        grace=current_app.config["JOB_ENQUEUE_GRACE"],
        lease=current_app.config["JOB_LEASE_SECONDS"],
    )
    click.echo(
        f"released {len(report.released)}, enqueued {len(report.enqueued)}, "
        f"recovered {len(report.recovered)}"
    )


def init_app(app: Flask) -> None:
    """Register the ``jobs`` command group."""
    app.cli.add_command(jobs_cli)
