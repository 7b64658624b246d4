"""Probe for ``python -m bench.anatomy``: this directory goes first on ``PYTHONPATH`` of
the processes under study, so Python imports this file at start-up in each of them.

With ``BENCH_PROBE_DIR`` set, every SQL statement and transaction event a process sends
through SQLAlchemy is appended as one line to ``sql-<pid>.log`` there (unbuffered, so a
process killed by a signal loses nothing). With ``BENCH_PROFILE`` set as well, the process
runs under cProfile and writes ``profile-<pid>.pstats`` when it exits normally.
"""

from __future__ import annotations

import atexit
import os
import re
from typing import Any

_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


def _install(directory: str) -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        return
    path = os.path.join(directory, f"sql-{os.getpid()}.log")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(line: str) -> None:
        os.write(fd, (line + "\n").encode())

    @event.listens_for(Engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split(None, 1)
        verb = words[0].upper() if words else "?"
        table = _TABLE.search(statement)
        write(f"{verb} {table.group(1) if table else '-'}")

    @event.listens_for(Engine, "commit")
    def _commit(_conn: Any) -> None:
        write("COMMIT -")

    @event.listens_for(Engine, "rollback")
    def _rollback(_conn: Any) -> None:
        write("ROLLBACK -")


def _profile(directory: str) -> None:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(os.path.join(directory, f"profile-{os.getpid()}.pstats"))

    atexit.register(dump)


_directory = os.environ.get("BENCH_PROBE_DIR")
if _directory:
    _install(_directory)
    if os.environ.get("BENCH_PROFILE"):
        _profile(_directory)
