"""What a job handler gets: its job's data, progress reporting and artifact files."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conveyor_core import streams
from conveyor_core.jobs import runs
from conveyor_core.jobs.models import Job, JobInput

from .exceptions import JobFailure, JobStopped
from .runtime import Runtime


@dataclass(frozen=True)
class Outcome:
    """A handler's result: JSON for the job row, and an optional artifact file."""

    result: dict[str, Any]
    artifact: tuple[str, str] | None = None
    """``(file name, media type)`` of a file written with :meth:`JobContext.artifact`."""


class JobContext:
    """One attempt of one job, as its handler sees it."""

    def __init__(self, runtime: Runtime, job: Job) -> None:
        self.runtime = runtime
        self.job_id = job.id
        self.run_id = job.run_id or ""
        self.user_id = job.user_id
        self.type = job.type
        self.payload: dict[str, Any] = dict(job.payload)
        self.attempt = job.attempts
        self.request_id = job.request_id
        self.started = time.monotonic()
        self.bookkeeping = 0.0
        """Seconds spent recording progress: the platform's time, not the job's."""
        self._body: tuple[float, float | None] | None = None
        self._interval = float(runtime.config["JOB_PROGRESS_INTERVAL"])
        # The first report comes an interval into the run: a job shorter than that writes
        # none (its start and end say it all).
        self._last_report = self.started

    @property
    def elapsed(self) -> float:
        """Seconds since this attempt started."""
        return time.monotonic() - self.started

    def enter_body(self) -> None:
        """The handler starts now."""
        self._body = (time.monotonic(), None)

    def leave_body(self) -> None:
        """The handler has returned or raised."""
        if self._body is not None:
            self._body = (self._body[0], time.monotonic())

    @property
    def run_seconds(self) -> float:
        """Seconds the handler has run (its progress reports included): the attempt's
        recorded run time. The claim and the record of the end are the platform's, not the
        job's: under a busy database they wait on the SQL write lock."""
        if self._body is None:
            return 0.0
        began, ended = self._body
        return (ended or time.monotonic()) - began

    def progress(self, percent: float, message: str | None = None, *, force: bool = False) -> None:
        """Record progress (at most every ``JOB_PROGRESS_INTERVAL`` unless ``force``).

        Raises :class:`JobStopped` if the job was canceled or its run taken away.
        """
        now = time.monotonic()
        if not force and now - self._last_report < self._interval:
            return
        self._last_report = now
        try:
            if self.runtime.monitor is not None:
                self.runtime.monitor.announce_now()  # the start before the first progress
            with self._shielded(), self.runtime.sessions() as session:
                current = runs.report_progress(session, self.job_id, self.run_id, percent, message)
                session.commit()
            if not current:
                raise JobStopped("canceled")
            streams.publish_progress(self.runtime.redis, user_id=self.user_id, job_id=self.job_id,
                                    job_type=self.type, percent=percent, message=message,
                                    time_spent_seconds=self.elapsed)  # fmt: skip
        finally:
            self.bookkeeping += time.monotonic() - now

    def _shielded(self) -> AbstractContextManager[None]:
        """Keep a timeout or cancel out of the platform's SQL (see ``Monitor.shield``)."""
        monitor = self.runtime.monitor
        return monitor.shield() if monitor is not None else nullcontext()

    def input_bytes(self) -> bytes:
        """Return the binary input stored with the job (an image)."""
        with self._shielded(), self.runtime.sessions() as session:
            stored = session.get(JobInput, self.job_id)
            if stored is None:
                raise JobFailure("the job's input is missing")
            return bytes(stored.data)

    def artifact_dir(self) -> Path:
        path = self.runtime.artifacts_dir / self.job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def artifact(self, name: str, mode: str = "w") -> Iterator[IO[Any]]:
        """Write the artifact ``name``: to a temporary file, renamed into place on success."""
        final = self.artifact_dir() / name
        partial = final.with_name(f".{name}.{self.run_id}.part")
        try:
            text = "b" not in mode
            encoding, newline = ("utf-8", "") if text else (None, None)
            with open(partial, mode, encoding=encoding, newline=newline) as file:
                yield file
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
