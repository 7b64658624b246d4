from typing import Any

from conveyor_testing.redis_server import RedisServer


def test_healthz_answers(client: Any) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_readyz_reports_redis_ok(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "ok"


def test_readyz_is_503_when_redis_is_down(app_factory: Any) -> None:
    with RedisServer() as server:
        app = app_factory(REDIS_URL=server.url)
        server.kill()
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["errors"]["redis"] == "unavailable"


def test_metrics_count_requests(client: Any) -> None:
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/healthz",service="shared-test"' in text
