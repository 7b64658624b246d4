"""Group commit: concurrent submissions share one commit (``job_api.group_commit``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jobapi_helpers import timed
from sqlalchemy import select

from conveyor_shared.jobs.models import Job
from conveyor_shared.jobs.testing import wait_for
from job_api.extensions import db
from job_api.group_commit import GroupCommit


class Gate:
    """A commit function that records each group and holds the first one until opened."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.entered = threading.Event()
        self.open = threading.Event()

    def __call__(self, items: Sequence[str]) -> Mapping[str, int]:
        self.groups.append(list(items))
        self.entered.set()
        assert self.open.wait(10), "the gate was never opened"
        if "bad" in items:
            raise RuntimeError("disk full")
        return {item: n for n, item in enumerate(items, 1)}


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def _while_first_commits(
    pool: ThreadPoolExecutor, gate: Gate, later: list[str]
) -> tuple[Future[Mapping[str, int]], list[Future[Mapping[str, int]]]]:
    """Submit "first", then ``later`` while first's commit is held open; then open it."""
    group: GroupCommit[str] = GroupCommit(gate)
    first = pool.submit(group.submit, "first")
    assert gate.entered.wait(10)
    waiting = [pool.submit(group.submit, item) for item in later]
    wait_for(lambda: len(group._pending) == len(later), what="submissions queued behind")
    gate.open.set()
    return first, waiting


def test_a_lone_submission_commits_at_once() -> None:
    gate = Gate()
    gate.open.set()
    assert GroupCommit(gate).submit("only") == {"only": 1}
    assert gate.groups == [["only"]]


def test_submissions_arriving_during_a_commit_share_the_next(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    first, waiting = _while_first_commits(pool, gate, ["a", "b", "c"])
    assert first.result(10) == {"first": 1}
    outcomes = [future.result(10) for future in waiting]
    assert gate.groups[0] == ["first"]
    assert sorted(gate.groups[1]) == ["a", "b", "c"] and len(gate.groups) == 2
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_a_failed_commit_fails_every_request_of_its_group(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    first, waiting = _while_first_commits(pool, gate, ["a", "bad"])
    assert first.result(10) == {"first": 1}
    for future in waiting:
        with pytest.raises(RuntimeError, match="disk full"):
            future.result(10)


def test_the_group_after_a_failed_one_commits(pool: ThreadPoolExecutor) -> None:
    gate = Gate()
    gate.open.set()
    group: GroupCommit[str] = GroupCommit(gate)
    with pytest.raises(RuntimeError):
        group.submit("bad")
    assert group.submit("good") == {"good": 1}


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
