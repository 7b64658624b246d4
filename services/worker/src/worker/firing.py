"""The firing thread: every ``SCHEDULE_POLL_INTERVAL`` seconds, fire the schedules whose
tick has come (``conveyor_core.schedules.firing``).

Every worker runs one, with no lock: which process fires a tick is decided in SQL, so any
number of them (and of job-api processes running a schedule by hand) give one job per tick.
A thread of its own, so a slow database never delays the monitor's timeouts and leases.
"""

from __future__ import annotations

import logging
import threading

from conveyor_core.schedules.firing import fire_due

from .runtime import Runtime

logger = logging.getLogger(__name__)


class Firing(threading.Thread):
    """Fires due schedules until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="schedule-firing", daemon=True)
        self.runtime = runtime
        self.interval = float(runtime.config["SCHEDULE_POLL_INTERVAL"])
        self.grace = float(runtime.config["SCHEDULE_MISFIRE_GRACE"])
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                fire_due(self.runtime.sessions, self.runtime.redis, grace=self.grace)
            except Exception:  # keep firing: a database or Redis blip must not end the thread
                logger.exception("firing schedules failed")

    def stop(self) -> None:
        self._halt.set()
