"""The live view of ``watch`` and ``submit --wait``: a progress bar per job that has started,
its queued jobs with their places in line, and a line per change of status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn
from rich.table import Table

from .output import STATUS_STYLES

WAITING = ("queued", "scheduled")


@dataclass
class Tracked:
    """What is known of one watched job."""

    id: str
    type: str = "?"
    status: str = "?"
    percent: float = 0.0
    message: str | None = None
    queue_position: int | None = None
    time_spent: float | None = None
    scheduled_for: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.id[:8]} {self.type}"

    def update(self, data: dict[str, Any]) -> bool:
        """Apply a job's fields (an event's, a snapshot item's or the API's job); return
        whether its status changed."""
        before = self.status
        self.type = str(data.get("job_type") or data.get("type") or self.type)
        self.status = str(data.get("status") or self.status)
        progress = data.get("progress") or {}
        if progress.get("percent") is not None:
            self.percent = float(progress["percent"])
        if "message" in progress:
            self.message = progress["message"]
        if "queue_position" in data or self.status not in WAITING:
            self.queue_position = data.get("queue_position")
        if data.get("time_spent_seconds") is not None:
            self.time_spent = float(data["time_spent_seconds"])
        if "scheduled_for" in data:
            self.scheduled_for = data["scheduled_for"]
        if data.get("error"):
            self.error = str(data["error"])
        return self.status != before


class Board(Protocol):
    def __enter__(self) -> Board: ...
    def __exit__(self, *exc: object) -> None: ...
    def show(self, job: Tracked, changed: bool) -> None: ...
    def note(self, message: str) -> None: ...


class SilentBoard:
    """Shows nothing: ``--quiet`` and ``--json`` keep stdout for ids and JSON."""

    def __enter__(self) -> SilentBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def show(self, job: Tracked, changed: bool) -> None:
        return None

    def note(self, message: str) -> None:
        return None


class LiveBoard:
    """Rich progress bars, redrawn on every event (not on a timer: nothing to draw between)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[status]}"),
            TextColumn("{task.fields[note]}"),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}
        self.waiting: dict[str, Tracked] = {}
        self.live = Live(self._view(), console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveBoard:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._view(), refresh=True)
        self.live.stop()
        if not self.console.is_terminal:
            self.console.line()  # the last drawing ends without one when not on a terminal

    def _view(self) -> RenderableType:
        parts: list[RenderableType] = [self.progress]
        if self.waiting:
            table = Table(box=None, show_header=False, pad_edge=False)
            for job in self.waiting.values():
                table.add_row(job.label, _styled(job.status), _waiting_note(job))
            parts.append(table)
        return Group(*parts)

    def show(self, job: Tracked, changed: bool) -> None:
        if changed:
            self.live.console.print(_change_line(job))
        if job.status in WAITING and job.id not in self.tasks:
            self.waiting[job.id] = job
        else:
            self.waiting.pop(job.id, None)
            if job.id not in self.tasks:
                self.tasks[job.id] = self.progress.add_task(
                    job.label, total=100, status="", note=""
                )
            percent = 100.0 if job.status == "completed" else job.percent
            self.progress.update(
                self.tasks[job.id],
                completed=percent,
                status=_styled(job.status),
                note=_running_note(job),
            )
        self.live.update(self._view(), refresh=True)

    def note(self, message: str) -> None:
        self.live.console.print(message)


def _styled(status: str) -> str:
    style = STATUS_STYLES.get(status)
    return f"[{style}]{status}[/]" if style else status


def _waiting_note(job: Tracked) -> str:
    if job.status == "scheduled":
        return f"until {str(job.scheduled_for or '?').replace('T', ' ')[:19]}"
    return f"#{job.queue_position} in line" if job.queue_position else ""


def _running_note(job: Tracked) -> str:
    parts = [escape(job.message or "")]
    if job.time_spent is not None:
        parts.append(f"[dim]{job.time_spent:.1f}s[/]")
    return " ".join(part for part in parts if part)


def _change_line(job: Tracked) -> str:
    line = f"{job.label} {_styled(job.status)}"
    if job.status in WAITING and _waiting_note(job):
        line += f" ({_waiting_note(job)})"
    if job.status in ("completed", "failed", "canceled") and job.time_spent is not None:
        line += f" after {job.time_spent:.1f}s"
    if job.status == "failed" and job.error:
        line += f": {escape(job.error)}"
    return line
