"""JSON-lines logging to stdout and a rotating file, tagged with request, user and job ids.

Records leave the logging thread through a :class:`~logging.handlers.QueueHandler`: the
request or job that logs pays for the record, the ids and one queue put; a
:class:`~logging.handlers.QueueListener` thread formats each record once and writes it to
stdout and the file, in batches (it flushes and rests whenever it has emptied the queue),
so a busy process does not wake it, nor switch threads, for every line.
``LOG_LEVEL=WARNING`` drops the per-request and per-job lines (they are ``INFO``) before
any of that.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import time
from contextlib import suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the HTTP request (or of the request that created the running job)."""

user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
"""The id of the signed-in user, or of the job's owner."""

job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)
"""The id of the job being handled."""

LOG_FILE_BYTES = 10 * 1024 * 1024
"""Size at which the log file rotates."""

LOG_FILE_BACKUPS = 5
"""How many rotated log files are kept."""

_CONTEXT = (("request_id", request_id_var), ("user_id", user_id_var), ("job_id", job_id_var))

_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message", "asctime", "taskName", "_json_line",
}  # fmt: skip
"""What every record carries: anything else on a record came in ``extra`` and is a field."""


class ContextFilter(logging.Filter):
    """Stamp every record with the service name and the ids in context (ids a caller put in
    ``extra`` win: a line about another job, such as the sweep's, names that job)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        fields = record.__dict__
        fields["service"] = self.service
        for name, var in _CONTEXT:
            if fields.get(name) is None:
                fields[name] = var.get()
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``name``, ``message``, then every
    ``extra`` field. Built once per record, however many outputs write it (a rotating file
    handler formats a record a second time to decide whether to roll over)."""

    _second: tuple[int, str] = (-1, "")

    def _time(self, created: float) -> str:
        """``formatTime``'s text (local time, milliseconds), its seconds part made once a
        second."""
        whole = int(created)
        second, text = self._second
        if whole != second:
            text = time.strftime(self.default_time_format, self.converter(whole))
            self._second = (whole, text)
        return f"{text},{int((created - whole) * 1000):03d}"

    def format(self, record: logging.LogRecord) -> str:
        line: str | None = record.__dict__.get("_json_line")
        if line is not None:
            return line
        fields: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "name": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                fields[key] = value
        if record.exc_info:
            fields["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack_info"] = self.formatStack(record.stack_info)
        line = json.dumps(fields, default=str)  # ASCII: a line's length is its size in bytes
        record._json_line = line
        return line


class _Handoff(logging.handlers.QueueHandler):
    """Put records on an in-process queue as they are: the listener thread formats them.

    The base class formats the message (and any traceback) here, in the logging thread, so
    that records can be pickled; an in-process queue needs none of that."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """stdout, flushed by the listener once the queue is empty rather than per line."""

    def flush(self) -> None:
        """Deferred: see :meth:`flush_now`."""

    def flush_now(self) -> None:
        super().flush()


class _File(logging.handlers.RotatingFileHandler):
    """The rotating file, flushed like :class:`_Stdout`; it tracks its size itself (the base
    class looks at the file system for every line)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                         encoding="utf-8")  # fmt: skip
        self._size = path.stat().st_size

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        added = len(self.format(record)) + len(self.terminator)
        if self._size and self._size + added >= self.maxBytes:
            return True
        self._size += added
        return False

    def doRollover(self) -> None:
        super().doRollover()
        self._size = 0

    def flush(self) -> None:
        """Deferred: see :meth:`flush_now`."""

    def flush_now(self) -> None:
        super().flush()


def _flush_all(handlers: Any) -> None:
    for handler in handlers:
        # A stream closed under us (stdout at interpreter exit) must not end the writer.
        with suppress(OSError, ValueError):
            handler.flush_now()


WRITE_INTERVAL = 0.05
"""Seconds the writer rests after emptying the queue: lines then go out in batches, and a
busy worker or request wakes the writer thread once per batch instead of once per line."""


class _Listener(logging.handlers.QueueListener):
    """Writes records in the background, in batches: when the queue runs dry it flushes its
    outputs and rests :data:`WRITE_INTERVAL` before it waits for the next record."""

    def __init__(self, records: queue.SimpleQueue[Any], *handlers: logging.Handler) -> None:
        super().__init__(records, *handlers)
        self.records = records

    def dequeue(self, block: bool) -> Any:
        try:
            return self.records.get_nowait()
        except queue.Empty:
            _flush_all(self.handlers)
            time.sleep(WRITE_INTERVAL)  # a pause, not a wait for a condition: batches form
            return self.records.get(block)


_listener: _Listener | None = None


def _stop_listener() -> None:
    """Write what is still queued and stop the writer thread (at exit, or on reconfigure)."""
    global _listener
    listener, _listener = _listener, None
    if listener is not None:
        listener.stop()
        _flush_all(listener.handlers)
        for handler in listener.handlers:
            with suppress(OSError, ValueError):
                handler.close()


atexit.register(_stop_listener)


def _outputs(service: str, log_dir: str | None) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [_Stdout(sys.stdout)]
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        path = Path(log_dir) / f"{service}.log"
        path.touch()
        handlers.append(_File(path))
    formatter = JsonLineFormatter()
    for handler in handlers:
        handler.setFormatter(formatter)
    return handlers


def configure(service: str, level: str = "INFO", log_dir: str | None = None) -> None:
    """Send the root logger's records, as JSON lines, to stdout and ``log_dir/service.log``,
    written by a background thread."""
    global _listener
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_conveyor", False)]:
        root.removeHandler(old)
    _stop_listener()
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handoff = _Handoff(records)
    handoff.addFilter(ContextFilter(service))
    handoff._conveyor = True  # type: ignore[attr-defined]
    # The lines name no thread or process: a record need not look them up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    _listener = _Listener(records, *_outputs(service, log_dir))
    _listener.start()
    root.addHandler(handoff)
    root.setLevel(level)


def flush() -> None:
    """Write every line logged so far (tests and short-lived commands read them next)."""
    listener = _listener
    if listener is not None:
        listener.stop()  # drains the queue up to its end marker
        _flush_all(listener.handlers)
        listener.start()
