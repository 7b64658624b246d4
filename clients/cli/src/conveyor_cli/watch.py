"""Follow jobs on ``GET /api/events`` until each has ended, resuming after a dropped stream.

Race-free start: the stream is opened first (the server starts it after its newest event),
and only at its first snapshot, which follows any replayed events, are the watched jobs the
snapshot does not list read with ``GET /api/jobs/{id}``. Whatever changes after that arrives
as an event. After a dropped connection the stream is reopened with ``Last-Event-ID``, so
the server replays what was missed, and the same reconciliation runs at its first snapshot.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError
from rich.markup import escape

from .board import Board, Tracked
from .client import Api, transport_error
from .errors import INTERRUPTED_MESSAGE, CliError, ExitCode, ServerProblem, debug

OUTCOMES = {"completed": ExitCode.OK, "failed": ExitCode.JOB_FAILED,
            "canceled": ExitCode.JOB_CANCELED}  # fmt: skip
"""Final statuses and the exit code each gives."""

STREAM_TIMEOUT = httpx.Timeout(5.0, read=60.0)
"""The server sends a snapshot every second and a keep-alive every 15 s by default: a
minute of silence means the connection is dead."""

GIVE_UP_SECONDS = 60.0
"""How long reconnecting may keep failing before ``watch`` reports the server as gone."""

DEFAULT_RETRY_SECONDS = 2.0
"""Delay before reconnecting until the stream's ``retry:`` says otherwise."""

RETRIED_STATUSES = (502, 503, 504)
"""Answers that mean "try again soon" (a restarting service, too many open streams)."""


def outcome(jobs: Iterable[Tracked]) -> ExitCode:
    """The exit code of a finished watch: any failure first, then any cancellation."""
    codes = {OUTCOMES[job.status] for job in jobs}
    for code in (ExitCode.JOB_FAILED, ExitCode.JOB_CANCELED):
        if code in codes:
            return code
    return ExitCode.OK


class Follower:
    """Watch ``ids`` (or, with none, every job queued or running when it starts, and any
    that starts while it watches) until all of them have ended."""

    def __init__(
        self,
        api: Api,
        ids: list[str],
        board: Board,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.board = board
        self.explicit = bool(ids)
        self.jobs: dict[str, Tracked] = {job_id: Tracked(job_id) for job_id in ids}
        self.last_event_id: str | None = None
        self.retry_seconds = DEFAULT_RETRY_SECONDS
        self.clock = clock
        self.sleep = sleep
        self._seen_snapshot = False

    # -- state ---------------------------------------------------------------------------

    def done(self) -> bool:
        if not self.explicit and not self._seen_snapshot:
            return False
        return all(job.status in OUTCOMES for job in self.jobs.values())

    def _apply(self, job_id: str, data: dict[str, Any]) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            if self.explicit or data.get("status") in OUTCOMES:
                return  # not watched, or ended before we knew of it
            job = self.jobs[job_id] = Tracked(job_id)
        if job.status in OUTCOMES:
            return  # an ended job stays ended for this watch (a late, replayed event)
        self.board.show(job, job.update(data))

    def _reconcile(self, listed: set[str]) -> None:
        """Read each unfinished watched job the snapshot does not list."""
        for job_id, job in list(self.jobs.items()):
            if job.status not in OUTCOMES and job_id not in listed:
                self._apply(job_id, self.api.call("GET", f"/api/jobs/{job_id}"))

    def _handle(self, sse: ServerSentEvent, first_snapshot: bool) -> bool:
        """Apply one event; return whether it was a snapshot."""
        if sse.retry is not None:
            self.retry_seconds = max(sse.retry / 1000, 0.1)
        if not sse.data:
            return False
        try:
            data = json.loads(sse.data)
        except ValueError:
            return False
        if sse.event == "snapshot":
            items = [item for item in data.get("jobs") or [] if isinstance(item, dict)]
            for item in items:
                self._apply(str(item.get("id")), item)
            if first_snapshot:
                self._reconcile({str(item.get("id")) for item in items})
            self._seen_snapshot = True
            return True
        if sse.event.startswith("job.") and data.get("job_id"):
            if sse.id:
                self.last_event_id = sse.id
            self._apply(str(data["job_id"]), data)
        return False

    # -- the stream ----------------------------------------------------------------------

    def _follow_once(self) -> bool:
        """Read one connection of the stream until it ends or every job has ended; return
        whether it delivered a snapshot (a stream that ends at once counts as failing)."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        with self.api.stream("GET", "/api/events", headers=headers,
                             timeout=STREAM_TIMEOUT) as response:  # fmt: skip
            first_snapshot = True
            for sse in EventSource(response).iter_sse():
                if self._handle(sse, first_snapshot):
                    first_snapshot = False
                if self.done():
                    break
        return not first_snapshot

    def run(self) -> ExitCode:
        """Follow until every watched job has ended; return the exit code of the outcome."""
        with _ctrl_c_ends_at_once():
            return self._follow()

    def _follow(self) -> ExitCode:
        failing_since: float | None = None
        while not self.done():
            try:
                delivered = self._follow_once()
                failing_since = None if delivered else failing_since or self.clock()
            except httpx.TransportError as error:  # the stream broke while being read
                problem: CliError = transport_error(self.api.url, error)
                failing_since = failing_since or self.clock()
            except (SSEError, CliError) as error:
                if not _worth_retrying(error):
                    raise
                problem = error if isinstance(error, CliError) else ServerProblem(str(error))
                failing_since = failing_since or self.clock()
            else:
                if self.done():
                    break
                problem = ServerProblem("the event stream ended")  # its time was up: normal
            if failing_since is not None and self.clock() - failing_since > GIVE_UP_SECONDS:
                raise ServerProblem(f"{problem.message}; gave up after {GIVE_UP_SECONDS:.0f}s")
            if failing_since is not None:
                self.board.note(f"[dim]{escape(problem.message)}; reconnecting…[/]")
            debug(f"{problem.message}; reopening it with Last-Event-ID {self.last_event_id}")
            self.sleep(self.retry_seconds)
        if not self.jobs:
            self.board.note("No queued or running jobs.")
        return outcome(self.jobs.values())


@contextlib.contextmanager
def _ctrl_c_ends_at_once() -> Iterator[None]:
    """While following, Ctrl-C ends the process at once: its line, exit code 130.

    As a ``KeyboardInterrupt`` raised inside httpx, it unwinds through httpcore's connection
    pool, which takes its lock again in the same thread if the interrupt came while the lock
    was held, and the process hangs for good (encode/httpcore#990; the likely cause of a
    60 s hang of the Ctrl-C test in CI). Nothing is owed when following stops: the jobs run
    on without us."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return

    def interrupted(_signum: int, _frame: object) -> None:
        with contextlib.suppress(Exception):  # a write it interrupted may hold the buffer
            sys.stdout.flush()
        if sys.stdout.isatty():
            os.write(sys.stdout.fileno(), b"\x1b[?25h")  # the live board hid the cursor
        os.write(sys.stderr.fileno(), f"conveyor: {INTERRUPTED_MESSAGE}\n".encode())
        os._exit(ExitCode.INTERRUPTED)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worth_retrying(error: SSEError | CliError) -> bool:
    """A server error (a 5xx, no answer) may pass; a refusal will not. An ``SSEError`` is a
    proxy's page instead of the stream: the service behind it is restarting."""
    return isinstance(error, SSEError) or error.exit_code == ExitCode.SERVER
