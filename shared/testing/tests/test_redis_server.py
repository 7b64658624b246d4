import pytest
import redis

from conveyor_testing.redis_server import RedisServer


def test_server_answers_and_dies_when_killed() -> None:
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url, socket_connect_timeout=0.5)
        assert client.ping()
        server.kill()
        with pytest.raises(redis.ConnectionError):
            client.ping()


def test_appendonly_server_keeps_data_across_restart(tmp_path) -> None:
    server = RedisServer(data_dir=tmp_path, appendonly=True).start()
    try:
        redis.Redis.from_url(server.url).set("k", "v")
        server.stop()
        server.start()
        assert redis.Redis.from_url(server.url).get("k") == b"v"
    finally:
        server.close()
