"""rq-dashboard's admin gate with the operator account (Conveyor admins: see tests/e2e)."""

from __future__ import annotations

import base64

import pytest
import rq_dashboard_app
from flask.testing import FlaskClient


def basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.fixture
def client(redis_url: str, jwt_keys: tuple[str, str]) -> FlaskClient:
    app = rq_dashboard_app.create_app(
        {
            "REDIS_URL": redis_url,
            "JWT_PUBLIC_KEY": jwt_keys[1],
            "RQ_DASHBOARD_USERNAME": "operator",
            "RQ_DASHBOARD_PASSWORD": "s3cret-operator",
            "USER_SERVICE_URL": "",
        }
    )
    return app.test_client()


def test_operator_account_opens_the_dashboard(client: FlaskClient) -> None:
    reply = client.get("/admin/rq/", headers=basic("operator", "s3cret-operator"))
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("operator", "wrong"),
        basic("someone", "s3cret-operator"),
        {"Authorization": "Bearer abc"},
    ],
    ids=["none", "bad-password", "bad-user", "bearer"],
)
def test_other_credentials_are_refused(client: FlaskClient, headers: dict[str, str]) -> None:
    reply = client.get("/admin/rq/", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Basic")
    assert reply.json and reply.json["status"] == 401


def test_responses_carry_the_request_id(client: FlaskClient) -> None:
    reply = client.get("/admin/rq/", headers={"X-Request-ID": "abc-123"})
    assert reply.headers["X-Request-ID"] == "abc-123"
