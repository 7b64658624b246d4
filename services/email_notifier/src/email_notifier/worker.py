"""``python -m email_notifier``: an RQ worker on the notifications queue, with RQ's scheduler.

It is a ``SimpleWorker`` (no fork per job): a delivery is a short network call, so a fork
would cost more than the job, and the ledger's connection pool lives safely in one process
instead of being inherited across forks. Each job is still bounded by RQ's job timeout
(SIGALRM in this process). If the process dies, the delivery it held is put back on the queue
by the next notifier that notices its alive key lapse (``liveness.py``: a restarted notifier
does so within seconds), and the ledger makes sure the redelivery sends at most once.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from rq import Queue

from conveyor_core import logs
from conveyor_core.notifications import QUEUE
from conveyor_core.redis_connection import connect
from conveyor_core.rq_worker import PromptSimpleWorker

from . import liveness, runtime, settings

log = logging.getLogger(__name__)


def build(config: dict[str, Any], connection: redis.Redis) -> PromptSimpleWorker:
    """Return a worker for the notifications queue."""
    return PromptSimpleWorker(
        [Queue(QUEUE, connection=connection)],
        connection=connection,
        maintenance_interval=config["MAINTENANCE_INTERVAL"],
        log_job_description=False,  # arguments hold email addresses; keep them out of logs
    )


def main() -> int:
    """Configure logging and the notifier from the environment, then work until stopped."""
    config = settings.load()
    logs.configure(settings.SERVICE, config["LOG_LEVEL"], config["LOG_DIR"] or None)
    runtime.configure(config)
    connection = connect(config["REDIS_URL"])
    worker = build(config, connection)
    pulse = liveness.Pulse(connection, worker.name, worker.queues[0], config["ALIVE_SECONDS"])
    pulse.start()
    log.info(
        "email-notifier listening on %s, SMTP %s:%s",
        QUEUE,
        config["SMTP_HOST"],
        config["SMTP_PORT"],
    )
    # The scheduler moves retries whose backoff has elapsed back onto the queue.
    try:
        worker.work(with_scheduler=True, logging_level=config["LOG_LEVEL"])
    finally:
        pulse.stop()
        runtime.close()
    return 0
