"""Helpers of the ``/api/events`` tests: apps, jobs, an SSE parser, a gunicorn+gevent server.

A plain module (not a conftest) so it cannot clash with the job-api suite's own fixtures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import delete
from sqlalchemy.orm import Session

from conveyor_core.jobs import dispatch, runs, store
from conveyor_core.jobs.models import Job, JobInput, utcnow
from conveyor_testing import app_config, free_port
from conveyor_testing.workers import WorkerFleet
from conveyor_web.redis_client import get_redis
from job_api import create_app, gunicorn_conf
from job_api.extensions import db

VENV_BIN = Path(sys.executable).parent
"""Where gunicorn lives (the test interpreter's environment)."""


def base_config(database_url: str, redis_url: str, keys: tuple[str, str]) -> dict[str, Any]:
    # Fast pacing, so tests see several snapshots and heartbeats within a second or two.
    return app_config(
        database_url, redis_url, keys, EVENTS_SNAPSHOT_INTERVAL=0.2,
        EVENTS_HEARTBEAT_SECONDS=0.5, EVENTS_MAX_STREAM_SECONDS=30,
    )  # fmt: skip


_MIGRATED: set[str] = set()
"""Databases this test process has already migrated."""


def make_app(config: dict[str, Any]) -> Flask:
    """Build job-api; give each test a migrated schema with no jobs in it."""
    app = create_app(config)
    with app.app_context():
        if config["SQLALCHEMY_DATABASE_URI"] not in _MIGRATED:
            flask_migrate.upgrade()
            _MIGRATED.add(config["SQLALCHEMY_DATABASE_URI"])
        db.session.execute(delete(JobInput))
        db.session.execute(delete(Job))
        db.session.commit()
    return app


def close_app(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["conveyor_redis"].close()
    app.extensions["conveyor_events"].connection.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def worker_fleet(app: Flask, tmp_path: Path) -> WorkerFleet:
    """Real ``python -m worker`` processes (not started yet) on ``app``'s database and Redis."""
    return WorkerFleet(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
            "VAR_DIR": str(tmp_path / "var"),
            "LOG_DIR": "",
        },
        tmp_path / "worker-logs",
    )


def add_job(app: Flask, user_id: int, enqueue: bool = True, **fields: Any) -> Job:
    """Create a queued ``timed`` job for ``user_id`` and, unless ``enqueue`` is false, put it
    in the owner's line as job-api does (``fields`` override the request)."""
    spec = {"type": "timed", "payload": {"duration_seconds": 1}, **fields}
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        job = store.create(session, store.NewJob(user_id=user_id, **spec))
        session.commit()
        if enqueue and job.run_id:
            dispatch.enqueue(get_redis(), [dispatch.Run.of(job)])
        return job


def claim(app: Flask, job: Job) -> Job:
    """Mark ``job`` running, as a worker does; return the row after the change."""
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        assert job.run_id is not None
        claimed = runs.claim(session, job.id, job.run_id, "test-worker", utcnow())
        session.commit()
        assert claimed is not None
        return claimed


def complete(app: Flask, job: Job) -> Job:
    """Finish a running ``job``; return the row after the change."""
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        assert job.run_id is not None
        done = runs.complete(
            session, job.id, job.run_id, result={"elapsed_seconds": 1.0}, elapsed=1.0,
            now=utcnow(),
        )  # fmt: skip
        session.commit()
        assert done
        finished = store.fetch(session, job.id)
        assert finished is not None
        return finished


@dataclass
class Message:
    """One Server-Sent Event (or a comment line, in ``comment``)."""

    event: str = "message"
    id: str | None = None
    data: str = ""
    comment: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


Stream = Iterator[Message]
"""A stream's messages, as the ``open_stream`` fixtures yield them."""


class SSEParser:
    """Turn a byte stream, fed in arbitrary chunks, into :class:`Message` objects."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[Message]:
        self._buffer += chunk
        messages = []
        while b"\n\n" in self._buffer:
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            messages.append(self._parse(block.decode()))
        return messages

    @staticmethod
    def _parse(block: str) -> Message:
        message = Message()
        data: list[str] = []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comment = value
            elif name == "event":
                message.event = value
            elif name == "id":
                message.id = value
            elif name == "data":
                data.append(value)
            elif name == "retry":
                message.retry = int(value)
        message.data = "\n".join(data)
        return message


def messages(chunks: Iterable[bytes], deadline: float) -> Iterator[Message]:
    """Yield messages from ``chunks`` until the stream ends or ``deadline`` (monotonic) passes."""
    parser = SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the stream did not deliver in time")


def within(stream: Iterator[Message], seconds: float) -> Iterator[Message]:
    """Yield from ``stream``, raising if a message arrives more than ``seconds`` from now."""
    deadline = time.monotonic() + seconds
    for message in stream:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the stream did not deliver within {seconds} s")
        yield message


def read_until(
    stream: Iterator[Message], wanted: str, job_id: str | None = None
) -> tuple[Message, list[Message]]:
    """Read ``stream`` until an event named ``wanted`` (about ``job_id``) arrives.

    Returns it and every message read before it.
    """
    before = []
    for message in stream:
        if message.event == wanted and (job_id is None or message.json()["job_id"] == job_id):
            return message, before
        before.append(message)
    raise AssertionError(f"the stream ended before {wanted}")


def request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, bytes]:
    """Make one HTTP request to 127.0.0.1:``port``; return the status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@contextmanager
def gunicorn_server(
    database_url: str, redis_url: str, public_key: str, tmp_path: Path, **env: str
) -> Iterator[int]:
    """Serve job-api with gunicorn and gevent (one worker) on a free port; yield the port."""
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_PUBLIC_KEY": public_key,
        "VAR_DIR": str(tmp_path),
        "LOG_DIR": "",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_GRACEFUL_TIMEOUT": "2",
        **env,
    }
    # The config by file path: the master then imports nothing of the app before gevent
    # patches the standard library in the worker.
    command = [str(VENV_BIN / "gunicorn"), "-c", gunicorn_conf.__file__, "job_api:create_app()"]
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(tmp_path / 'gunicorn.log').read_text()}")
            try:
                if request(port, "GET", "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("gunicorn did not start within 30 s")
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
