"""Workers that follow the backlog under the real launcher (``WORKER_AUTOSCALE=1,4``): a
burst of jobs brings up four workers, an empty queue takes them back to one, every job
completes once, and a worker killed on the way is replaced."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
from local_stack import LocalStack, http, poll

IDLE_SECONDS = 5
JOBS = 200


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = {"WORKER_AUTOSCALE": "1,4", "WORKER_IDLE_SECONDS": str(IDLE_SECONDS)}
    running = LocalStack("auto", tmp_path_factory.mktemp("autoscale"), settings=settings)
    running.start()
    yield running
    leftovers = running.stop()
    assert not leftovers, f"processes outlived the stack's stop: {leftovers}"


def _workers(stack: LocalStack) -> dict[str, int]:
    """Worker programs that are up: name → pid."""
    return {n: i["pid"] for n, i in stack.programs().items()
            if n.startswith("worker-") and i["statename"] == "RUNNING"}  # fmt: skip


def _total(stack: LocalStack, auth: dict[str, str], status: str) -> int:
    reply = http("GET", f"{stack.url}/api/jobs?status={status}&per_page=1", headers=auth)
    return int(reply.json()["total"])


def test_workers_follow_the_backlog_up_and_back_down(stack: LocalStack) -> None:
    name = f"scale_{uuid.uuid4().hex[:8]}"
    body = {"username": name, "email": f"{name}@example.com", "password": "correct horse"}
    assert http("POST", f"{stack.url}/api/users", body).status == 201
    login = http("POST", f"{stack.url}/api/auth/login",
                 {"username": name, "password": "correct horse"})  # fmt: skip
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    # At rest, one worker: RUNNING once it has stayed up supervisord's startsecs.
    poll(lambda: list(_workers(stack)) == ["worker-1"], 30, what="one worker at rest")

    jobs = [{"type": "timed", "payload": {"duration_seconds": 0.2}}] * JOBS
    assert http("POST", f"{stack.url}/api/jobs/batch", {"jobs": jobs}, headers=auth).status == 201
    four = poll(lambda: len(w := _workers(stack)) == 4 and w, 15, what="four workers")
    victim = four["worker-3"]
    os.kill(victim, signal.SIGKILL)
    poll(lambda: _workers(stack).get("worker-3") not in (None, victim), 30,
         what="the killed worker to be replaced")  # fmt: skip

    poll(lambda: _total(stack, auth, "queued") == 0, 120, what="the queue to empty")
    poll(lambda: list(_workers(stack)) == ["worker-1"], IDLE_SECONDS + 10,
         what="the workers to fall back to one")  # fmt: skip
    poll(lambda: _total(stack, auth, "completed") == JOBS, 60, what="every job to complete")
    attempts = [job["attempts"] for page in (1, 2)
                for job in http("GET", f"{stack.url}/api/jobs?per_page=100&page={page}",
                                headers=auth).json()["items"]]  # fmt: skip
    assert attempts == [1] * JOBS
