"""The six scenarios of ``make bench``, each a module with ``run(bench)``.

a. processing throughput of pre-submitted no-op jobs, 1 and 2 worker processes
b. submit throughput over HTTP through nginx, and 1,000-job batches
c. latency submit→running and submit→completed on an idle fleet
d. fair-dispatch cost with 10 versus 10,000 backlogged users
e. ``timed`` 0.5 s jobs with 1, 2, 4 and 8 workers against the linear ideal
f. ``GET /api/jobs/{id}`` with and without the response cache
"""

from __future__ import annotations

from types import ModuleType

from . import fair, latency, reads, scaling, submit, throughput

SCENARIOS: dict[str, tuple[str, ModuleType]] = {
    "a": ("processing throughput", throughput),
    "b": ("submit throughput", submit),
    "c": ("latency", latency),
    "d": ("fair-dispatch cost", fair),
    "e": ("timed-job scaling", scaling),
    "f": ("cached reads", reads),
}
