"""Group commit: concurrent submissions share one commit (``job_api.group_commit``; the
leader/follower mechanism itself is tested with ``conveyor_core.coalesce``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import timed
from sqlalchemy import select

from conveyor_core.jobs.models import Job
from job_api.extensions import db


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def test_concurrent_posts_each_get_their_own_job(
    app: Flask, client: FlaskClient, auth: Callable[..., dict[str, str]],
    pool: ThreadPoolExecutor,
) -> None:  # fmt: skip
    def post(user_id: int) -> tuple[int, dict[str, object]]:
        response = app.test_client().post("/api/jobs", json=timed(0), headers=auth(user_id))
        return response.status_code, response.get_json()

    answers = list(pool.map(post, [1 + n % 3 for n in range(48)]))
    assert {status for status, _ in answers} == {201}
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 48
    for user_id in (1, 2, 3):
        places = sorted(body["queue_position"] for _, body in answers if body["user_id"] == user_id)
        assert places == list(range(1, 17)), user_id
    with app.app_context():
        stored = db.session.scalars(select(Job.id).where(Job.status == "queued")).all()
    assert sorted(stored) == sorted(ids)
