"""``/api/schedules``: creating, reading, changing, deleting and running schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import png
from schedule_helpers import every, parse

from conveyor_core.jobs.models import utcnow

Auth = Callable[..., dict[str, str]]


def test_create_answers_201_with_the_next_run(client: FlaskClient, auth: Auth) -> None:
    before = utcnow()
    response = client.post("/api/schedules", json=every(60), headers=auth(1))
    assert response.status_code == 201
    schedule = response.get_json()
    assert response.headers["Location"] == f"/api/schedules/{schedule['id']}"
    assert schedule["enabled"] is True and schedule["timezone"] == "UTC"
    next_run = parse(schedule["next_run_at"])
    assert before + timedelta(seconds=59) < next_run <= utcnow() + timedelta(seconds=60)


def test_cron_next_run_is_the_zones_next_wall_clock_tick(client: FlaskClient, auth: Auth) -> None:
    body = every(name="nine", cron="0 9 * * *", timezone="Asia/Tokyo")
    del body["interval_seconds"]
    schedule = client.post("/api/schedules", json=body, headers=auth(1)).get_json()
    assert parse(schedule["next_run_at"]).strftime("%H:%M") == "00:00"  # 09:00 JST in UTC


def test_a_disabled_schedule_has_no_next_run(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(enabled=False), headers=auth(1)).get_json()
    assert schedule["next_run_at"] is None


BAD_RHYTHMS = [
    ({"cron": "61 * * * *"}, "cron"),
    ({"cron": "* * * *"}, "cron"),
    ({"cron": "@daily"}, "cron"),
    ({"cron": "0 0 30 2 *"}, "cron"),
    ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone"),
    ({"cron": "0 9 * * *", "timezone": "../../etc/passwd"}, "timezone"),
    ({"interval_seconds": 0}, "interval_seconds"),
    ({"interval_seconds": -5}, "interval_seconds"),
    ({"interval_seconds": "soon"}, "interval_seconds"),
    ({"interval_seconds": 60, "cron": "* * * * *"}, "cron"),  # both
    ({}, "cron"),  # neither
    ({}, "interval_seconds"),  # neither
]


@pytest.mark.parametrize(("rhythm", "field"), BAD_RHYTHMS)
def test_a_bad_rhythm_is_a_422_naming_the_field(
    client: FlaskClient, auth: Auth, rhythm: dict[str, object], field: str
) -> None:
    body = {"name": "x", "type": "timed", "payload": {"duration_seconds": 0}, **rhythm}
    response = client.post("/api/schedules", json=body, headers=auth(1))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert client.get("/api/schedules", headers=auth(1)).get_json()["total"] == 0


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"payload": {"duration_seconds": -1}}, "payload"),
        ({"payload": {}}, "payload"),
        ({"type": "email", "payload": {"to": "someone@else.test", "subject": "s", "body": "b"}},
         "payload"),
        ({"type": "fax"}, "type"),
        ({"name": ""}, "name"),
        ({"priority": "urgent"}, "priority"),
    ],
)  # fmt: skip
def test_job_fields_are_validated_like_a_jobs(
    client: FlaskClient, auth: Auth, fields: dict[str, object], where: str
) -> None:
    response = client.post("/api/schedules", json=every(**fields), headers=auth(1))
    assert response.status_code == 422
    assert where in response.get_json()["errors"]


def test_an_image_schedule_keeps_the_image_for_its_jobs(client: FlaskClient, auth: Auth) -> None:
    body = every(type="image", payload={"image": png(), "operations": [{"op": "grayscale"}]})
    schedule = client.post("/api/schedules", json=body, headers=auth(1)).get_json()
    job = client.post(f"/api/schedules/{schedule['id']}/run", headers=auth(1)).get_json()
    assert job["payload"]["image"]["width"] == 64  # stored like a job's: a summary


def test_list_is_the_callers_own_paginated_and_sorted(client: FlaskClient, auth: Auth) -> None:
    for name in ("b", "a", "c"):
        client.post("/api/schedules", json=every(name=name), headers=auth(1))
    client.post("/api/schedules", json=every(name="other"), headers=auth(2))
    page = client.get("/api/schedules?sort=name&per_page=2", headers=auth(1)).get_json()
    assert [item["name"] for item in page["items"]] == ["a", "b"]
    assert (page["total"], page["pages"]) == (3, 2)


def test_admins_list_everyones(client: FlaskClient, auth: Auth) -> None:
    client.post("/api/schedules", json=every(), headers=auth(1))
    client.post("/api/schedules", json=every(), headers=auth(2))
    assert client.get("/api/schedules", headers=auth(9, role="admin")).get_json()["total"] == 2


def test_patch_recomputes_the_next_run(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(3600), headers=auth(1)).get_json()
    changed = client.patch(
        f"/api/schedules/{schedule['id']}", json={"cron": "*/5 * * * * *"}, headers=auth(1)
    ).get_json()
    assert changed["interval_seconds"] is None and changed["cron"] == "*/5 * * * * *"
    assert parse(changed["next_run_at"]) <= utcnow() + timedelta(seconds=5)


def test_patch_disabling_clears_the_next_run(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    changed = client.patch(
        f"/api/schedules/{schedule['id']}", json={"enabled": False}, headers=auth(1)
    ).get_json()
    assert changed["next_run_at"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payload": {"duration_seconds": "long"}}, "payload"),
        ({"type": "email"}, "payload"),  # the stored payload is no email's
        ({"cron": "99 * * * *"}, "cron"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"cron": "* * * * *", "interval_seconds": 5}, "cron"),
    ],
)
def test_a_bad_patch_is_a_422_and_changes_nothing(
    client: FlaskClient, auth: Auth, changes: dict[str, object], field: str
) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    url = f"/api/schedules/{schedule['id']}"
    response = client.patch(url, json=changes, headers=auth(1))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get(url, headers=auth(1)).get_json() == schedule


def test_delete_answers_204_and_the_schedule_is_gone(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    url = f"/api/schedules/{schedule['id']}"
    assert client.delete(url, headers=auth(1)).status_code == 204
    assert client.get(url, headers=auth(1)).status_code == 404


def test_run_now_creates_one_job_carrying_the_schedule(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    response = client.post(f"/api/schedules/{schedule['id']}/run", headers=auth(1))
    assert response.status_code == 201
    job = response.get_json()
    assert (job["status"], job["schedule_id"], job["tick"]) == ("queued", schedule["id"], None)
    listed = client.get(f"/api/jobs?schedule_id={schedule['id']}", headers=auth(1)).get_json()
    assert [item["id"] for item in listed["items"]] == [job["id"]]


def test_an_admins_run_belongs_to_the_owner(client: FlaskClient, auth: Auth) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    job = client.post(f"/api/schedules/{schedule['id']}/run", headers=auth(9, role="admin"))
    assert job.get_json()["user_id"] == 1


ROUTES = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "/run"),
]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_another_users_schedule_is_a_404(
    client: FlaskClient, auth: Auth, method: str, suffix: str
) -> None:
    schedule = client.post("/api/schedules", json=every(), headers=auth(1)).get_json()
    url = f"/api/schedules/{schedule['id']}{suffix}"
    kwargs = {"json": {"name": "mine now"}} if method == "patch" else {}
    response = getattr(client, method)(url, headers=auth(2), **kwargs)
    assert response.status_code == 404
    assert client.get(f"/api/schedules/{schedule['id']}", headers=auth(1)).get_json() == schedule


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_a_malformed_id_is_a_404(client: FlaskClient, auth: Auth, method: str, suffix: str) -> None:
    response = getattr(client, method)(f"/api/schedules/no%00such{suffix}", headers=auth(1))
    assert response.status_code == 404


def test_the_per_user_limit_is_a_409(app: Flask, client: FlaskClient, auth: Auth) -> None:
    app.config["SCHEDULES_PER_USER"] = 3
    codes = [client.post("/api/schedules", json=every(), headers=auth(1)).status_code
             for _ in range(4)]  # fmt: skip
    assert codes == [201, 201, 201, 409]
    assert client.post("/api/schedules", json=every(), headers=auth(2)).status_code == 201


def test_the_jobs_schedule_filter_must_look_like_an_id(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/api/jobs?schedule_id=" + "x" * 40, headers=auth(1))
    assert response.status_code == 422


@pytest.mark.parametrize(
    "field", [{"user_id": 2}, {"next_run_at": "2030-01-01T00:00:00Z"}, {"fires": 9}, {"id": "x"}]
)
def test_server_fields_cannot_be_set(
    client: FlaskClient, auth: Auth, field: dict[str, object]
) -> None:
    response = client.post("/api/schedules", json=every(**field), headers=auth(1))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(field)
