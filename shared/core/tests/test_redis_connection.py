"""Clients from ``conveyor_core.redis_connection.connect``: commands packed in C reach a real
Redis exactly as redis-py's own packing sends them."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from conveyor_core.redis_connection import COMMAND_PACKER, connect


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return connect(redis_url)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("plain", b"plain"),
        ("héllo ✓", "héllo ✓".encode()),
        (b"\x00\xffraw", b"\x00\xffraw"),
        (42, b"42"),
        (-7, b"-7"),
        (2**70, str(2**70).encode()),
        (0.1, b"0.1"),
        (1733333333.123456, b"1733333333.123456"),
        (memoryview(b"viewed"), b"viewed"),
        (bytearray(b"array"), b"array"),
    ],
)
def test_a_value_is_stored_as_redis_py_would_send_it(
    client: redis.Redis, value: Any, stored: bytes
) -> None:
    client.set("key", value)
    assert client.get("key") == stored


@pytest.mark.parametrize("value", [True, None, ["a list"], {"a": "dict"}])
def test_a_value_redis_cannot_hold_is_refused_before_sending(
    client: redis.Redis, value: Any
) -> None:
    with pytest.raises(redis.DataError):
        client.set("key", value)
    assert client.exists("key") == 0


def test_a_command_named_in_two_words_is_sent_as_two_arguments(client: redis.Redis) -> None:
    sha = client.execute_command("SCRIPT LOAD", "return 1")
    assert client.execute_command("SCRIPT EXISTS", sha) == [1]


def test_a_pipeline_packs_every_command(client: redis.Redis) -> None:
    with client.pipeline() as pipe:
        for number in range(100):
            pipe.hset(f"job:{number}", mapping={"status": "queued", "n": number, "at": 0.5})
        pipe.execute()
    assert client.hgetall("job:99") == {b"status": b"queued", b"n": b"99", b"at": b"0.5"}


def test_the_packer_is_the_clients_own(client: redis.Redis) -> None:
    connection = client.connection_pool.get_connection()
    try:
        assert connection._command_packer is COMMAND_PACKER
    finally:
        client.connection_pool.release(connection)
