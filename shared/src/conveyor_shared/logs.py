"""JSON-lines logging to stdout and a rotating file, tagged with request, user and job ids."""

from __future__ import annotations

import logging
import logging.handlers
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


class ContextFilter(logging.Filter):
    """Stamp every record with the service name and the ids in context."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        record.job_id = job_id_var.get()
        return True


def configure(service: str, level: str = "INFO", log_dir: str | None = None) -> None:
    """Send the root logger's records, as JSON lines, to stdout and ``log_dir/service.log``."""
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "asctime": "time"},
        static_fields={},
    )
    context = ContextFilter(service)
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
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_conveyor", False)]:
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(context)
        handler._conveyor = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
