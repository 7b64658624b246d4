"""Coalescing: the calls that arrive while one is being served are served together next.

The first caller is served alone; those that arrive while it runs wait for it to end and then
go as one group, whose first member serves them all with one ``handle`` call: one SQL
commit, or one Redis round trip, for the whole group. Idle, nobody waits for anybody (a
group of one); busy, a group holds what arrived during the previous round. This is the
leader/follower group commit databases use for their own log: no timer, so it adds no
latency of its own.

Every member of a group shares its outcome: ``handle`` returns one mapping for the group
(each member looks up its own part), and if it raises an error, each member raises that
error. An error of a kind given as ``outage`` (the resource itself is gone, say Redis's
connection lost or timed out) also fails the callers that gathered while the group ran: they
waited on the same dead resource, and trying it again would cost each of them a second
timeout before they could answer. An interruption aimed at the serving caller alone
(``GreenletExit``, a ``gevent.Timeout``, ``KeyboardInterrupt``) stops only that caller: the
others go back to the queue and are served with the next group. ``handle`` must allow that
second try (a group commit of rows that did commit fails it on their primary keys, and the
reconciler enqueues them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")


@dataclass
class Entry(Generic[T, K]):
    """One caller's item, waiting for its group's outcome."""

    item: T
    outcome: Mapping[K, Any] = field(default_factory=dict)
    error: BaseException | None = None
    done: bool = False


class Coalescer(Generic[T, K]):
    """Runs ``handle`` over the items submitted concurrently, once per group.

    ``handle`` gets the group's items in arrival order and returns one outcome (a mapping)
    shared by the group. Works across threads and gevent greenlets alike, provided it is
    built after gevent patched ``threading`` (gunicorn loads the app in each worker, after the
    patching: ``preload_app`` stays off); an unpatched lock would block a whole gevent worker."""

    def __init__(
        self,
        handle: Callable[[Sequence[T]], Mapping[K, Any]],
        outage: tuple[type[Exception], ...] = (),
    ) -> None:
        self._handle = handle
        self._outage = outage
        self._pending: list[Entry[T, K]] = []
        self._pending_lock = threading.Lock()
        # Held by the caller serving a group; the next group gathers meanwhile.
        self._turn = threading.Lock()

    def submit(self, item: T) -> Mapping[K, Any]:
        """Serve ``item`` with whatever else is waiting; return the group's outcome."""
        entry: Entry[T, K] = Entry(item)
        with self._pending_lock:
            self._pending.append(entry)
        with self._turn:
            if not entry.done:  # nobody took it along: lead the next group
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._run(group, entry)
        if entry.error is not None:
            raise entry.error
        return entry.outcome

    def _run(self, group: list[Entry[T, K]], own: Entry[T, K]) -> None:
        try:
            outcome = self._handle([entry.item for entry in group])
        except Exception as error:  # every caller of the group learns it
            if isinstance(error, self._outage):  # and those who waited on the same outage
                with self._pending_lock:
                    group, self._pending = group + self._pending, []
            for entry in group:
                entry.error, entry.done = error, True
            return
        except BaseException:  # meant for this caller alone: the others wait for the next group
            with self._pending_lock:
                self._pending[:0] = [entry for entry in group if entry is not own]
            raise
        for entry in group:
            entry.outcome, entry.done = outcome, True
