"""JSON-lines logging to stdout and a rotating file, tagged with request, user and job ids.

Records leave the logging thread through a :class:`~logging.handlers.QueueHandler`: the
request or job that logs pays for stamping the ids and one queue put, and a
:class:`~logging.handlers.QueueListener` thread formats the JSON and writes stdout and the
file. ``LOG_LEVEL=WARNING`` drops the per-request and per-job lines (they are ``INFO``)
before any of that.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
from contextvars import ContextVar
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter

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


class _Handoff(logging.handlers.QueueHandler):
    """Put records on an in-process queue as they are: the listener thread formats them.

    The base class formats the message (and any traceback) here, in the logging thread, so
    that records can be pickled; an in-process queue needs none of that."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


_listener: logging.handlers.QueueListener | None = None


def _stop_listener() -> None:
    """Write what is still queued and stop the writer thread (at exit, or on reconfigure)."""
    global _listener
    listener, _listener = _listener, None
    if listener is not None:
        listener.stop()
        for handler in listener.handlers:
            handler.close()


atexit.register(_stop_listener)


def _outputs(service: str, log_dir: str | None) -> list[logging.Handler]:
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "asctime": "time"},
        static_fields={},
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                Path(log_dir) / f"{service}.log",
                maxBytes=LOG_FILE_BYTES,
                backupCount=LOG_FILE_BACKUPS,
                encoding="utf-8",
            )
        )
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
    _listener = logging.handlers.QueueListener(records, *_outputs(service, log_dir))
    _listener.start()
    root.addHandler(handoff)
    root.setLevel(level)


def flush() -> None:
    """Write every line logged so far (tests and short-lived commands read them next)."""
    listener = _listener
    if listener is not None:
        listener.stop()  # drains the queue up to its end marker
        listener.start()
