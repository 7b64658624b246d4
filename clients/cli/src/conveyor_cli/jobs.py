"""Job commands: submit, list, show, watch, cancel, retry, download."""

from __future__ import annotations

import os
import sys
import uuid
from email.message import Message
from pathlib import Path
from typing import Any

import click

from .app import App, common_options, pass_app
from .board import Board, LiveBoard, SilentBoard
from .errors import ExitCode, UsageProblem
from .payloads import attach_image, parse_payload
from .watch import Follower

PRIORITIES = click.Choice(["high", "normal", "low"])
STATUSES = click.Choice(["scheduled", "queued", "running", "completed", "failed", "canceled"])


def _board(app: App) -> Board:
    return LiveBoard(app.printer.out) if app.printer.human else SilentBoard()


def follow(app: App, ids: list[str]) -> ExitCode:
    """Watch ``ids`` (all unfinished jobs if empty) to their end; Ctrl-C leaves them be."""
    with _board(app) as board:
        return Follower(app.api, ids, board).run()


@click.command()
@click.argument("job_type", metavar="TYPE")
@click.option(
    "--payload", metavar="JSON|@FILE", help="The payload: JSON text, or @file (@- for stdin)."
)
@click.option(
    "--file",
    "image_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="image jobs: a PNG/JPEG/WebP file, sent as the payload's base64 image.",
)
@click.option("--priority", type=PRIORITIES, help="high, normal (default) or low.")
@click.option(
    "--delay", type=click.IntRange(min=0), metavar="SECONDS", help="Start no sooner than this."
)
@click.option(
    "--max-retries", type=click.IntRange(0, 10), help="Retries after a failure (default 3)."
)
@click.option(
    "--timeout", type=click.IntRange(min=1), metavar="SECONDS", help="Stop the job after this long."
)
@click.option("--notify-email", is_flag=True, help="Email me when it ends.")
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Submitting again with the same key creates nothing (default: a new key).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Follow the job to its end; exit 0 completed, 1 failed, 3 canceled.",
)
@common_options
@pass_app
def submit(app: App, job_type: str, payload: str | None, image_file: Path | None,
           priority: str | None, delay: int | None, max_retries: int | None,
           timeout: int | None, notify_email: bool, idempotency_key: str | None,
           wait: bool) -> int:  # fmt: skip
    """Submit a job of TYPE (timed, email, image, export)."""
    body: dict[str, Any] = {"type": job_type, "payload": parse_payload(payload)}
    if image_file is not None:
        body["payload"] = attach_image(body["payload"], job_type, image_file)
    for name, value in (("priority", priority), ("delay_seconds", delay),
                        ("max_retries", max_retries), ("timeout_seconds", timeout)):  # fmt: skip
        if value is not None:
            body[name] = value
    if notify_email:
        body["notify_email"] = True
    # A key per submission makes the one retry after an expired token safe to resend.
    headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    job = app.api.call("POST", "/api/jobs", json=body, headers=headers)
    printer = app.printer
    if not wait:
        printer.result(
            job, [job["id"]], lambda j: printer.say(f"Submitted {j['id']} ({j['status']}).")
        )
        return ExitCode.OK
    if printer.quiet:
        printer.ids([job["id"]])  # at once, so a pipe can pass it on while this waits
    else:
        printer.say(
            f"Submitted {job['id']}; waiting for it to end (Ctrl-C stops waiting, not the job)."
        )
    code = follow(app, [job["id"]])
    if printer.as_json:
        printer.json(app.api.call("GET", f"/api/jobs/{job['id']}"))
    return code


@click.command(name="list")
@click.option("--status", type=STATUSES, help="Only jobs in this status.")
@click.option("--type", "job_type", metavar="TYPE", help="Only jobs of this type.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option(
    "--sort", metavar="FIELD", help="A field, - first for descending (default -created_at)."
)
@common_options
@pass_app
def list_jobs(app: App, status: str | None, job_type: str | None, page: int, per_page: int,
              sort: str | None) -> int:  # fmt: skip
    """List your jobs, newest first."""
    params: dict[str, Any] = {"page": page, "per_page": per_page}
    for name, value in (("status", status), ("type", job_type), ("sort", sort)):
        if value:
            params[name] = value
    found = app.api.call("GET", "/api/jobs", params=params)
    app.printer.result(found, [job["id"] for job in found["items"]], app.printer.jobs)
    return ExitCode.OK


@click.command()
@click.argument("job_id", metavar="ID")
@common_options
@pass_app
def show(app: App, job_id: str) -> int:
    """Show one job."""
    job = app.api.call("GET", f"/api/jobs/{job_id}")
    app.printer.result(job, [job["id"]], app.printer.job)
    return ExitCode.OK


@click.command()
@click.argument("job_ids", metavar="[ID]...", nargs=-1)
@common_options
@pass_app
def watch(app: App, job_ids: tuple[str, ...]) -> int:
    """Follow jobs live until they end (default: all your queued and running jobs).

    Exits 0 when all completed, 1 when one failed, 3 when one was canceled (and none failed).
    """
    ids = list(dict.fromkeys(job_id for arg in job_ids for job_id in arg.split()))
    code = follow(app, ids)
    if app.printer.quiet:
        app.printer.ids(ids)
    return code


def _action(app: App, job_id: str, action: str, done: str) -> int:
    job = app.api.call("POST", f"/api/jobs/{job_id}/{action}")
    app.printer.result(
        job, [job["id"]], lambda j: app.printer.say(f"{j['id']} {done} ({j['status']}).")
    )
    return ExitCode.OK


@click.command()
@click.argument("job_id", metavar="ID")
@common_options
@pass_app
def cancel(app: App, job_id: str) -> int:
    """Cancel a job: at once if waiting, by stopping it if running."""
    return _action(app, job_id, "cancel", "canceled")


@click.command()
@click.argument("job_id", metavar="ID")
@common_options
@pass_app
def retry(app: App, job_id: str) -> int:
    """Run a failed or canceled job again."""
    return _action(app, job_id, "retry", "retried")


def _download_name(disposition: str | None, job_id: str) -> str:
    message = Message()
    message["content-disposition"] = disposition or ""
    name = Path(message.get_filename() or "").name  # never a path outside the directory
    return name if name not in ("", ".", "..") else f"{job_id}.out"


@click.command()
@click.argument("job_id", metavar="ID")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Where to save it (- for stdout; default: the artifact's name, not overwritten).",
)
@common_options
@pass_app
def download(app: App, job_id: str, output: str | None) -> int:
    """Download a completed job's artifact (an export file, a processed image)."""
    with app.api.stream("GET", f"/api/jobs/{job_id}/result") as response:
        if output == "-":
            for chunk in response.iter_bytes():
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return ExitCode.OK
        target = Path(output or _download_name(response.headers.get("content-disposition"), job_id))
        if output is None and target.exists():
            raise UsageProblem(f"{target} exists; choose another name with -o")
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with partial.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
            partial.replace(target)  # a broken download never leaves half a file behind
        except OSError as error:
            raise UsageProblem(f"cannot write {target}: {error.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
        size = target.stat().st_size
    saved = {"id": job_id, "path": str(target), "bytes": size,
             "media_type": response.headers.get("content-type")}  # fmt: skip
    app.printer.result(
        saved, [str(target)], lambda s: app.printer.say(f"Saved {s['path']} ({s['bytes']} bytes).")
    )
    return ExitCode.OK
