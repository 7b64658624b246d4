"""``GET /api/events`` on a real job-api served by gunicorn with gevent workers, in its own
process: events cross processes in time, and one process holds many streams at once."""

from __future__ import annotations

import http.client
import selectors
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import events_support as support
import pytest
import redis
from flask import Flask

from conveyor_core import streams

STREAMS = 200
"""Streams held open at once against one gevent worker."""


@pytest.fixture
def port(
    app: Flask, database_url: str, redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path
) -> Iterator[int]:
    with support.gunicorn_server(
        database_url, redis_url, jwt_keys[1], tmp_path, EVENTS_SNAPSHOT_INTERVAL="1"
    ) as port:
        yield port


def test_state_changes_reach_the_owner_within_two_seconds(
    app: Flask, port: int, connection: redis.Redis, make_token: Callable[..., str]
) -> None:
    stream_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    stream_connection.request("GET", "/api/events", headers=support.bearer(make_token(1)))
    response = stream_connection.getresponse()
    try:
        assert response.status == 200
        assert response.getheader("X-Accel-Buffering") == "no"
        chunks = iter(lambda: response.read1(65536), b"")
        stream = support.messages(chunks, time.monotonic() + 30)
        support.read_until(stream, "snapshot")  # the stream is live

        job = support.claim(app, support.add_job(app, user_id=1))
        changes: list[tuple[str, Callable[[], None]]] = [
            (streams.JOB_STARTED, lambda: streams.publish_job(connection, job)),
            (streams.JOB_PROGRESS, lambda: streams.publish_progress(
                connection, user_id=1, job_id=job.id, job_type=job.type, percent=50,
                message="half", time_spent_seconds=0.5)),
            (streams.JOB_COMPLETED,
             lambda: streams.publish_job(connection, support.complete(app, job))),
        ]  # fmt: skip
        for expected, change in changes:
            change()
            support.read_until(support.within(stream, 2), expected, job.id)
    finally:
        stream_connection.close()


def _open(port: int, token: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    request = (
        f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    sock.sendall(request.encode())
    sock.setblocking(False)
    return sock


def _until_every_stream_has(
    socks: list[socket.socket], buffers: list[bytes], snapshots: list[int], deadline: float
) -> set[int]:
    """Read every stream (into ``buffers``) until stream ``i`` has sent ``snapshots[i]``
    snapshots, or ``deadline``; return the indexes of the streams that got there."""
    done: set[int] = set()
    with selectors.DefaultSelector() as selector:
        for index, sock in enumerate(socks):
            selector.register(sock, selectors.EVENT_READ, index)
        while len(done) < len(socks) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                index = key.data
                chunk = socks[index].recv(65536)
                buffers[index] += chunk
                enough = buffers[index].count(b"event: snapshot") >= snapshots[index]
                if enough or not chunk:
                    selector.unregister(socks[index])
                if enough and chunk:
                    done.add(index)
    return {index for index in done if buffers[index].startswith(b"HTTP/1.1 200")}


def test_one_process_serves_many_streams_and_still_answers_requests(
    port: int, make_token: Callable[..., str]
) -> None:
    tokens = [make_token(user_id) for user_id in range(1, STREAMS + 1)]
    socks: list[socket.socket] = []
    buffers = [b""] * STREAMS
    try:
        for token in tokens:
            socks.append(_open(port, token))
        served = _until_every_stream_has(socks, buffers, [1] * STREAMS, time.monotonic() + 90)
        assert len(served) == STREAMS

        # Other requests are answered while all of them stay open...
        started = time.monotonic()
        assert support.request(port, "GET", "/healthz", timeout=10)[0] == 200
        status, _ = support.request(
            port, "GET", "/api/jobs", headers=support.bearer(tokens[0]), timeout=10
        )
        assert status == 200
        assert time.monotonic() - started < 20  # bounded; not a speed target

        # ...and every stream is still served afterwards: each sends a further snapshot.
        more = [buffer.count(b"event: snapshot") + 1 for buffer in buffers]
        still = _until_every_stream_has(socks, buffers, more, time.monotonic() + 60)
        assert len(still) == STREAMS
    finally:
        for sock in socks:
            sock.close()


def test_concurrent_submissions_are_all_served(port: int, make_token: Callable[..., str]) -> None:
    """With the shipped gunicorn settings (gevent workers), parallel POSTs, each a transaction
    followed by Redis calls, all succeed: none stalls the worker."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    body = json.dumps({"type": "timed", "payload": {"duration_seconds": 0}})

    def submit(user_id: int) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            headers = {**support.bearer(make_token(user_id)), "Content-Type": "application/json"}
            connection.request("POST", "/api/jobs", body=body, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(submit, [n % 4 + 1 for n in range(64)]))
    assert statuses == [201] * 64
