"""Group commit: the submissions one job-api process receives at once share one SQL
transaction and one Redis transaction.

A submission's cost is mostly its commit and its Redis round trip, not its own rows. The
first submission to arrive commits alone; those that arrive while a commit runs wait for it
to end and then go together: one ``INSERT`` of all their rows, one ``COMMIT``, one Redis
transaction. Idle, nobody waits for anybody (a group of one); busy, a group holds what
arrived during the previous commit. This is the leader/follower group commit databases use
for their own log: no timer, so it adds no latency of its own.

Every submission in a group shares its outcome: the rows are committed together or not at
all, and a failed commit raises its error in each request of the group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")

EXTENSION = "conveyor_group_commit"
"""Key of the app's :class:`GroupCommit` in ``app.extensions``."""


@dataclass
class Entry(Generic[T]):
    """One request's submission, waiting for its group's outcome."""

    item: T
    outcome: Mapping[str, int] = field(default_factory=dict)
    error: BaseException | None = None
    done: bool = False


class GroupCommit(Generic[T]):
    """Runs ``commit`` over the items submitted concurrently, once per group.

    ``commit`` gets the group's items in arrival order and returns one outcome (a mapping)
    shared by the group. Works across threads and gevent greenlets alike, provided it is
    built after gevent patched ``threading`` (gunicorn loads the app in each worker, after the
    patching: ``preload_app`` stays off); an unpatched lock would block a whole gevent worker."""

    def __init__(self, commit: Callable[[Sequence[T]], Mapping[str, int]]) -> None:
        self._commit = commit
        self._pending: list[Entry[T]] = []
        self._pending_lock = threading.Lock()
        # Held by the submission committing a group; the next group gathers meanwhile.
        self._turn = threading.Lock()

    def submit(self, item: T) -> Mapping[str, int]:
        """Commit ``item`` with whatever else is waiting; return the group's outcome."""
        entry = Entry(item)
        with self._pending_lock:
            self._pending.append(entry)
        with self._turn:
            if not entry.done:  # nobody took it along: lead the next group
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._run(group)
        if entry.error is not None:
            raise entry.error
        return entry.outcome

    def _run(self, group: list[Entry[T]]) -> None:
        try:
            outcome = self._commit([entry.item for entry in group])
        except BaseException as error:  # every request of the group learns it
            for entry in group:
                entry.error, entry.done = error, True
            return
        for entry in group:
            entry.outcome, entry.done = outcome, True


def init_app(app: Flask, commit: Callable[[Sequence[T]], Mapping[str, int]]) -> None:
    """Give ``app`` one group commit (one per process: each worker builds its app)."""
    app.extensions[EXTENSION] = GroupCommit(commit)


def submit(item: T) -> Mapping[str, int]:
    """Commit ``item`` through the current app's group commit."""
    group: GroupCommit[T] = current_app.extensions[EXTENSION]
    return group.submit(item)
