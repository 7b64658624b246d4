"""The app's Redis client (``conveyor_web.redis_client``): once Redis failed a request, the
request's later commands fail without trying it again; the next request tries afresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from conveyor_testing.redis_server import RedisServer
from conveyor_web.redis_client import get_redis


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def app(app_factory: Callable[..., Flask], private_redis: RedisServer) -> Flask:
    return app_factory(REDIS_URL=private_redis.url)


def test_a_request_that_met_a_dead_redis_does_not_try_it_again(
    app: Flask, private_redis: RedisServer
) -> None:
    with app.test_request_context():
        assert get_redis().ping()
        private_redis.kill()
        with pytest.raises(redis.ConnectionError):
            get_redis().ping()
        private_redis.start()  # back on the same port: only a new request may use it
        with pytest.raises(redis.ConnectionError, match="failed earlier in this request"):
            get_redis().ping()


def test_the_next_request_tries_redis_afresh(app: Flask, private_redis: RedisServer) -> None:
    with app.test_request_context():
        private_redis.kill()
        with pytest.raises(redis.ConnectionError):
            get_redis().ping()
    private_redis.start()
    with app.test_request_context():
        assert get_redis().ping()
