"""Weighted fair dispatch across users, on top of plain RQ queues.

Each user's queued jobs wait in that user's own RQ queues (``user.<id>.<priority>``), so RQ
job objects, registries and rq-dashboard all still apply. A free worker asks the
:class:`Dispatcher` for the next job: one Lua script picks the active user with the lowest
virtual pass (stride scheduling), pops that user's next job (high, then normal, then low;
first come, first served within each), charges the user an estimate of the job's worker time
divided by the tier's weight, and records the claim. When the job ends, the real worker time
replaces the estimate. See ``docs/fair-scheduling.md``.
"""

from conveyor_core.fair.dispatcher import (
    CLAIMED_KEY,
    WAKE_KEY,
    Dispatcher,
    Pick,
    queue_activate,
    queue_tier,
    set_tier,
)
from conveyor_core.fair.queue import PRIORITIES, FairQueue, parse_queue_name, queue_name
from conveyor_core.fair.scripts import execute as execute_pipeline

__all__ = [
    "CLAIMED_KEY",
    "PRIORITIES",
    "WAKE_KEY",
    "Dispatcher",
    "FairQueue",
    "Pick",
    "execute_pipeline",
    "parse_queue_name",
    "queue_activate",
    "queue_name",
    "queue_tier",
    "set_tier",
]
