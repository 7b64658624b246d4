"""``conveyor schedules list|create|delete``: recurring jobs (SPEC section 2, Schedules)."""

from __future__ import annotations

from typing import Any

import click

from .app import App, common_options, pass_app
from .errors import ExitCode, UsageProblem
from .jobs import PRIORITIES
from .output import rhythm
from .payloads import parse_payload


@click.group()
@common_options
def schedules() -> None:
    """Recurring jobs: on a cron expression or every N seconds."""


@schedules.command(name="list")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--sort", metavar="FIELD", help="A field, - first for descending.")
@common_options
@pass_app
def list_schedules(app: App, page: int, per_page: int, sort: str | None) -> int:
    """List your schedules."""
    params: dict[str, Any] = {"page": page, "per_page": per_page}
    if sort:
        params["sort"] = sort
    found = app.api.call("GET", "/api/schedules", params=params)
    app.printer.result(found, [item["id"] for item in found["items"]], app.printer.schedules)
    return ExitCode.OK


@schedules.command()
@click.argument("job_type", metavar="TYPE")
@click.option("--name", required=True, help="What to call it.")
@click.option("--payload", metavar="JSON|@FILE", help="Each job's payload.")
@click.option("--cron", metavar="EXPR", help="5 fields, or 6 with seconds first.")
@click.option("--timezone", metavar="ZONE", help="IANA zone of the cron expression (default UTC).")
@click.option(
    "--interval", type=click.IntRange(min=1), metavar="SECONDS", help="Run every N seconds instead."
)
@click.option("--priority", type=PRIORITIES)
@click.option("--max-retries", type=click.IntRange(0, 10))
@click.option("--timeout", type=click.IntRange(min=1), metavar="SECONDS")
@click.option("--notify-email", is_flag=True)
@click.option("--disabled", is_flag=True, help="Create it switched off.")
@common_options
@pass_app
def create(app: App, job_type: str, name: str, payload: str | None, cron: str | None,
           timezone: str | None, interval: int | None, priority: str | None,
           max_retries: int | None, timeout: int | None, notify_email: bool,
           disabled: bool) -> int:  # fmt: skip
    """Create a schedule that submits a TYPE job on each tick."""
    if (cron is None) == (interval is None):
        raise UsageProblem("give exactly one of --cron and --interval")
    body: dict[str, Any] = {"name": name, "type": job_type, "payload": parse_payload(payload)}
    for field, value in (("cron", cron), ("timezone", timezone), ("interval_seconds", interval),
                         ("priority", priority), ("max_retries", max_retries),
                         ("timeout_seconds", timeout)):  # fmt: skip
        if value is not None:
            body[field] = value
    if notify_email:
        body["notify_email"] = True
    if disabled:
        body["enabled"] = False
    created = app.api.call("POST", "/api/schedules", json=body)
    app.printer.result(
        created,
        [created["id"]],
        lambda s: app.printer.say(
            f"Created schedule {s['id']} ({rhythm(s)}); next run {s.get('next_run_at') or '-'}."
        ),
    )
    return ExitCode.OK


@schedules.command()
@click.argument("schedule_id", metavar="ID")
@common_options
@pass_app
def delete(app: App, schedule_id: str) -> int:
    """Delete a schedule: no run fires after it."""
    app.api.call("DELETE", f"/api/schedules/{schedule_id}")
    app.printer.result(
        {"id": schedule_id, "deleted": True},
        [schedule_id],
        lambda _: app.printer.say(f"Deleted schedule {schedule_id}."),
    )
    return ExitCode.OK
