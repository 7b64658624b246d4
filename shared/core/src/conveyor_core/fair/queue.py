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

    Whatever enqueues through this class (the API, retries, requeues) makes the job
    dispatchable at once. Pushes made by code that builds a plain ``rq.Queue`` (RQ's own
    scheduler does) are picked up by :meth:`Dispatcher.reconcile`.
    """

    def push_job_id(
        self, job_id: str, pipeline: Pipeline | None = None, at_front: bool = False
    ) -> None:
        super().push_job_id(job_id, pipeline=pipeline, at_front=at_front)
        owner = parse_queue_name(self.name)
        if owner is not None:
            client: Any = pipeline if pipeline is not None else self.connection
            ACTIVATE(keys=[], args=[PREFIX, owner[0], ""], client=client)
