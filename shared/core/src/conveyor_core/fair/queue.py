"""Per-user RQ queues whose pushes put the user into the fair dispatcher's active set."""

from __future__ import annotations

from typing import Any

from redis.client import Pipeline
from rq import Queue

from conveyor_core.fair.scripts import ACTIVATE, PREFIX
from conveyor_core.jobs.status import PRIORITIES

QUEUE_NAME_PREFIX = "user."
"""Every per-user queue is named ``user.<user_id>.<priority>``."""


def queue_name(user_id: int | str, priority: str = "normal") -> str:
    """Name the RQ queue that holds one user's jobs of one priority."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")
    return f"{QUEUE_NAME_PREFIX}{user_id}.{priority}"


def parse_queue_name(name: str) -> tuple[str, str] | None:
    """Return ``(user_id, priority)`` for a per-user queue name, else ``None``."""
    if not name.startswith(QUEUE_NAME_PREFIX):
        return None
    user_id, _, priority = name[len(QUEUE_NAME_PREFIX) :].rpartition(".")
    if not user_id or priority not in PRIORITIES:
        return None
    return user_id, priority


class FairQueue(Queue):
    """An RQ queue for one user and priority; every push also activates that user.

    Conveyor's own submissions, retries and recoveries do not come through it:
    :func:`conveyor_core.jobs.dispatch.enqueue` pushes with a plain ``rq.Queue`` and
    activates each owner once per batch. It is the queue class of the worker's RQ side, so
    a push RQ's own code makes through a worker activates the owner at once; pushes through
    any other plain ``rq.Queue`` (rq-dashboard's requeue, RQ's scheduler) are found by
    :meth:`Dispatcher.repair_lines`'s sweep.
    """

    def push_job_id(
        self, job_id: str, pipeline: Pipeline | None = None, at_front: bool = False
    ) -> None:
        super().push_job_id(job_id, pipeline=pipeline, at_front=at_front)
        owner = parse_queue_name(self.name)
        if owner is not None:
            client: Any = pipeline if pipeline is not None else self.connection
            ACTIVATE(keys=[], args=[PREFIX, owner[0], ""], client=client)
