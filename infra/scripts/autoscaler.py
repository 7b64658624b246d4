"""Scale ``make run``'s workers with the backlog, as Celery's ``--autoscale`` does.

``WORKER_AUTOSCALE=MIN,MAX`` makes supervisord hold MAX worker programs, MIN of them
started. Every second this process reads the backlog that KEDA follows on a cluster
(``conveyor_jobs{status="queued"}`` on job-api's ``/metrics``) and, through supervisord:
- starts one more worker while the backlog per running worker stays above
  ``WORKER_SCALE_UP_BACKLOG`` for ``SUSTAIN`` seconds, up to MAX;
- once nothing has been queued for ``WORKER_IDLE_SECONDS``, stops the workers beyond MIN
  gracefully (SIGTERM: a job in hand finishes first).
A worker that dies is restarted by supervisord whatever this process decides. Decisions
are logged and exported on ``AUTOSCALER_METRICS_PORT``.
"""

from __future__ import annotations

import logging
import os
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, start_http_server
from prometheus_client.parser import text_string_to_metric_families
from stack import parse_autoscale
from supervisor import childutils

from conveyor_core import logs
from conveyor_core.settings import checked

SUSTAIN = 2.0
"""Seconds the backlog must stay high before one more worker starts."""

TICK = 1.0
"""Seconds between two looks at the backlog."""

logger = logging.getLogger("conveyor.autoscaler")

WORKERS = Gauge("conveyor_autoscaler_workers", "Worker processes started by the autoscaler")
BACKLOG = Gauge("conveyor_autoscaler_backlog", "Queued jobs at the last look")
DECISIONS = Counter("conveyor_autoscaler_decisions", "Scaling decisions", ["action"])


@dataclass(frozen=True)
class Limits:
    low: int
    high: int
    backlog_per_worker: float
    idle_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        """Read the limits; a bad value stops the autoscaler, naming the variable."""
        low, high = parse_autoscale(env["WORKER_AUTOSCALE"])
        return checked(
            lambda read: cls(
                low,
                high,
                read.number("WORKER_SCALE_UP_BACKLOG", 5.0, positive=True),
                read.number("WORKER_IDLE_SECONDS", 30.0, positive=True),
            ),
            env,
        )


def queued(metrics_url: str) -> int | None:
    """The backlog job-api reports, or None while it does not answer."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "conveyor_jobs" and sample.labels.get("status") == "queued":
                return int(sample.value)
    return None


class Scaler:
    """The decisions, apart from the loop, so each is plain to follow."""

    def __init__(self, limits: Limits, rpc: Any) -> None:
        self.limits = limits
        self.rpc = rpc
        self.high_since: float | None = None
        self.idle_since: float | None = None

    def running(self) -> list[str]:
        infos = self.rpc.supervisor.getAllProcessInfo()
        started = {"RUNNING", "STARTING", "BACKOFF"}
        return sorted((i["name"] for i in infos if i["name"].startswith("worker-")
                       and i["statename"] in started), key=_number)  # fmt: skip

    def step(self, backlog: int, now: float) -> None:
        running = self.running()
        WORKERS.set(len(running))
        BACKLOG.set(backlog)
        if backlog > self.limits.backlog_per_worker * max(1, len(running)):
            self.high_since = self.high_since or now
            if now - self.high_since >= SUSTAIN and len(running) < self.limits.high:
                self._start(len(running) + 1, backlog)
                self.high_since = now
        else:
            self.high_since = None
        if backlog:
            self.idle_since = None
            return
        self.idle_since = self.idle_since or now
        if now - self.idle_since >= self.limits.idle_seconds:
            for name in running[self.limits.low :]:
                self._stop(name)

    def _start(self, number: int, backlog: int) -> None:
        name = f"worker-{number}"
        logger.info("scaling up", extra={"worker": name, "backlog": backlog})
        DECISIONS.labels("up").inc()
        self.rpc.supervisor.startProcess(name, False)

    def _stop(self, name: str) -> None:
        logger.info("retiring an idle worker", extra={"worker": name})
        DECISIONS.labels("down").inc()
        self.rpc.supervisor.stopProcess(name, False)


def _number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


def main() -> None:
    env = os.environ
    log_dir = env.get("LOG_DIR") or os.path.join(env.get("VAR_DIR", "var"), "log")
    logs.configure("autoscaler", env.get("LOG_LEVEL", "INFO"), log_dir)
    limits = Limits.from_env(env)
    # Loopback locally; a container sets 0.0.0.0 so Prometheus can scrape it from outside.
    address = env.get("AUTOSCALER_METRICS_ADDR", "127.0.0.1")
    port = checked(lambda read: read.integer("AUTOSCALER_METRICS_PORT", 8005, minimum=0), env)
    start_http_server(port, addr=address)
    scaler = Scaler(limits, childutils.getRPCInterface(env))
    metrics_url = f"{env['JOB_API_URL']}/metrics"
    logger.info("autoscaling workers", extra={"min": limits.low, "max": limits.high})
    while True:
        backlog = queued(metrics_url)
        if backlog is not None:
            scaler.step(backlog, time.monotonic())
        time.sleep(TICK)


if __name__ == "__main__":
    main()
