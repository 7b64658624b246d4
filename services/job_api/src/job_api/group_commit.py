"""Group commit: the submissions one job-api process receives at once share one SQL
transaction and one Redis transaction.

A submission's cost is mostly its commit and its Redis round trip, not its own rows. The
submissions that arrive while a commit runs go together in the next one: one ``INSERT`` of
all their rows, one ``COMMIT``, one Redis transaction (a :class:`~conveyor_core.coalesce.
Coalescer`: no timer, so idle it adds no latency). Every submission in a group shares its
outcome: the rows are committed together or not at all, and a failed commit raises its error
in each request of the group. If the leading request alone is interrupted (its greenlet
killed), the others go with the next group; rows that had committed then fail there on their
primary keys, and the reconciler enqueues them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from flask import Flask, current_app

from conveyor_core.coalesce import Coalescer

T = TypeVar("T")

EXTENSION = "conveyor_group_commit"
"""Key of the app's group commit in ``app.extensions``."""


def init_app(app: Flask, commit: Callable[[Sequence[T]], Mapping[str, int]]) -> None:
    """Give ``app`` one group commit (one per process: each worker builds its app)."""
    app.extensions[EXTENSION] = Coalescer(commit)


def submit(item: T) -> Mapping[str, int]:
    """Commit ``item`` through the current app's group commit."""
    group: Coalescer[T, str] = current_app.extensions[EXTENSION]
    return group.submit(item)
