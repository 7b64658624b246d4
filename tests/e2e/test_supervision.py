"""Under the real launcher, a process that dies is restarted and nothing else stops: a
worker killed mid-job (its job runs again and completes), the notifier, job-api, Redis."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from local_stack import LocalStack, http, poll

DEADLINE = 60.0
"""Seconds a restart, or a job's recovery, may take before the test fails."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    running = LocalStack("auto", tmp_path_factory.mktemp("supervised"))
    running.start()
    yield running
    leftovers = running.stop()
    assert not leftovers, f"processes outlived the stack's stop: {leftovers}"


@pytest.fixture(scope="module")
def token(stack: LocalStack) -> str:
    name = f"sup_{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.com", "password": "correct horse"}
    assert http("POST", f"{stack.url}/api/users", body).status == 201
    reply = http(
        "POST", f"{stack.url}/api/auth/login", {"username": name, "password": "correct horse"}
    )
    return str(reply.json()["access_token"])


def wait(check: Callable[[], Any], what: str) -> Any:
    return poll(check, DEADLINE, 0.2, what)


class Watch:
    """Asks the gateway's /healthz every 0.2 s in a thread; counts answers that were not 200."""

    def __init__(self, stack: LocalStack) -> None:
        self.url = f"{stack.url}/healthz"
        self.asked = self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.asked += 1
            try:
                ok = http("GET", self.url, timeout=5).status == 200
            except OSError:
                ok = False
            self.failed += not ok

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _restarted(stack: LocalStack, name: str, old_pid: int) -> Callable[[], bool]:
    def check() -> bool:
        info = stack.programs()[name]
        return bool(info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid))

    return check


def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes(
    stack: LocalStack, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    body = {"type": "timed", "payload": {"duration_seconds": 3}}
    job = http("POST", f"{stack.url}/api/jobs", body, headers=auth).json()
    url = f"{stack.url}/api/jobs/{job['id']}"
    wait(lambda: http("GET", url, headers=auth).json()["status"] == "running", "the job to run")
    others = {n: i["pid"] for n, i in stack.programs().items() if not n.startswith("worker-")}
    pid = stack.programs()["worker-1"]["pid"]
    with Watch(stack) as watch:
        os.kill(pid, signal.SIGKILL)
        done = wait(lambda: (j := http("GET", url, headers=auth).json())["status"]
                    in ("completed", "failed") and j, "the job to finish")  # fmt: skip
        wait(_restarted(stack, "worker-1", pid), "worker-1 to be restarted")
    assert done["status"] == "completed"
    workers = [n for n, i in stack.programs().items() if n.startswith("worker-")
               and i["statename"] == "RUNNING"]  # fmt: skip
    assert len(workers) == int(stack.environment()["JOB_CONCURRENCY"])
    assert {n: i["pid"] for n, i in stack.programs().items() if n in others} == others
    assert watch.asked and watch.failed == 0


@pytest.mark.parametrize("name", ["email-notifier", "job-api", "redis"])
def test_a_killed_process_comes_back_and_nothing_else_stops(
    stack: LocalStack, token: str, name: str
) -> None:
    before = {n: i["pid"] for n, i in stack.programs().items()}
    os.kill(before[name], signal.SIGKILL)
    wait(_restarted(stack, name, before[name]), f"{name} to be restarted")
    auth = {"Authorization": f"Bearer {token}"}
    wait(lambda: http("GET", f"{stack.url}/api/jobs", headers=auth).status == 200,
         "job-api to answer through the gateway again")  # fmt: skip
    after = {n: i["pid"] for n, i in stack.programs().items()}
    assert {n: p for n, p in after.items() if n != name} == {
        n: p for n, p in before.items() if n != name
    }
