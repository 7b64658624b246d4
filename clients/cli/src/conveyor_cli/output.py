"""What commands print: the API's JSON (``--json``), ids only (``--quiet``), or rich tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

ID_WIDTH = 36
"""Characters of a job's or schedule's id (a UUID)."""

STATUS_STYLES = {
    "completed": "green",
    "failed": "red",
    "canceled": "yellow",
    "running": "cyan",
    "queued": "blue",
    "scheduled": "magenta",
}


def moment(value: Any) -> str:
    """Show an ISO date-time to the second (``2026-12-04 13:15:23``)."""
    if not value:
        return "-"
    return str(value).replace("T", " ")[:19]


def status_text(status: Any) -> Text:
    return Text(str(status), style=STATUS_STYLES.get(str(status), ""))


def progress_text(job: dict[str, Any]) -> str:
    progress = job.get("progress") or {}
    percent = progress.get("percent")
    return "-" if percent is None else f"{percent:.0f}%"


@dataclass
class Printer:
    """The output mode of one command."""

    as_json: bool = False
    quiet: bool = False
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))

    @property
    def human(self) -> bool:
        return not (self.as_json or self.quiet)

    def json(self, data: Any) -> None:
        print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)

    def ids(self, ids: Iterable[Any]) -> None:
        for value in ids:
            print(value, flush=True)

    def say(self, message: str) -> None:
        """A human line (nothing in ``--json`` or ``--quiet`` mode)."""
        if self.human:
            self.out.print(message)

    def result(self, data: Any, ids: Iterable[Any], render: Any) -> None:
        """Print ``data`` as JSON, ``ids`` one a line, or ``render(data)`` for people."""
        if self.as_json:
            self.json(data)
        elif self.quiet:
            self.ids(ids)
        else:
            render(data)

    # -- renderers -----------------------------------------------------------------------

    def job(self, job: dict[str, Any]) -> None:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        rows: list[tuple[str, Any]] = [
            ("id", job.get("id")),
            ("type", job.get("type")),
            ("status", status_text(job.get("status"))),
            ("priority", job.get("priority")),
            ("progress", _progress_line(job)),
            ("attempts", f"{job.get('attempts')} (max retries {job.get('max_retries')})"),
        ]
        if job.get("queue_position") is not None:
            rows.append(("queue position", job["queue_position"]))
        for name in ("created_at", "scheduled_for", "started_at", "finished_at"):
            if job.get(name):
                rows.append((name.replace("_", " "), moment(job[name])))
        if job.get("time_spent_seconds") is not None:
            rows.append(("time spent", f"{job['time_spent_seconds']:.1f}s"))
        rows.append(("payload", _compact(job.get("payload"))))
        if job.get("result") is not None:
            rows.append(("result", _compact(job["result"])))
        if job.get("error"):
            rows.append(("error", Text(str(job["error"]), style="red")))
        if job.get("artifact"):
            artifact = job["artifact"]
            rows.append(("artifact", f"{artifact.get('name')} ({artifact.get('size')} bytes)"))
        for name, value in rows:
            table.add_row(name, value if isinstance(value, Text) else str(value))
        self.out.print(table)

    def jobs(self, page: dict[str, Any]) -> None:
        self._page(page, "jobs", ("ID", "TYPE", "STATUS", "PROGRESS", "CREATED"), lambda job: (
            str(job.get("id")),
            str(job.get("type")),
            status_text(job.get("status")),
            progress_text(job),
            moment(job.get("created_at"))[5:16],  # MM-DD HH:MM
        ))  # fmt: skip

    def schedules(self, page: dict[str, Any]) -> None:
        columns = ("ID", "NAME", "TYPE", "RHYTHM", "ENABLED", "NEXT RUN", "FIRES")
        self._page(page, "schedules", columns, lambda item: (
            str(item.get("id")),
            str(item.get("name")),
            str(item.get("type")),
            rhythm(item),
            "yes" if item.get("enabled") else "no",
            moment(item.get("next_run_at")),
            str(item.get("fires", "-")),
        ))  # fmt: skip

    def _page(
        self,
        page: dict[str, Any],
        noun: str,
        columns: tuple[str, ...],
        row: Callable[[dict[str, Any]], tuple[str | Text, ...]],
    ) -> None:
        """Print one page of a list as a table whose first column (the full id, which
        commands take) is never cut, and where the page stands."""
        items = page.get("items") or []
        if not items:
            self.out.print(f"No {noun}.")
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column(columns[0], no_wrap=True, min_width=ID_WIDTH)
        for name in columns[1:]:
            table.add_column(name, no_wrap=True, overflow="ellipsis")
        for item in items:
            table.add_row(*row(item))
        self.out.print(table)
        pages = max(page.get("pages") or 0, 1)
        self.out.print(f"page {page.get('page')} of {pages}, {page.get('total')} {noun} in all")


def rhythm(schedule: dict[str, Any]) -> str:
    if schedule.get("cron"):
        return f"cron {schedule['cron']} ({schedule.get('timezone') or 'UTC'})"
    return f"every {schedule.get('interval_seconds')}s"


def _progress_line(job: dict[str, Any]) -> str:
    message = (job.get("progress") or {}).get("message")
    return f"{progress_text(job)} {message}" if message else progress_text(job)


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."
