"""The Celery app of the Celery peer (``celery -A bench.peers.celery_app worker``).

The broker and result backend come from the worker's command line (``-b``,
``--result-backend``) or from :func:`configure` in the bench process: nothing is read from
the environment here.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_ready

READY_KEY = "bench:celery:ready"
"""Incremented by each worker once it consumes."""

app = Celery("bench")
app.conf.broker_connection_retry_on_startup = True


def configure(url: str) -> Celery:
    """Point the app at ``url`` for both the broker and the result backend."""
    app.conf.broker_url = url
    app.conf.result_backend = url
    return app


def _client() -> redis.Redis:
    return redis.Redis.from_url(app.conf.broker_url)


@app.task(ignore_result=True)
def noop() -> None:
    """Do nothing."""


@app.task(ignore_result=True)
def stamp(key: str) -> None:
    """Record the time this job ran under ``key`` (first and last job of a throughput run)."""
    _client().set(key, repr(time.time()))


@app.task
def started() -> float:
    """Return the time the job started (the latency runs read it from the result)."""
    return time.time()


@worker_ready.connect
def _announce(**_: Any) -> None:
    _client().incr(READY_KEY)
