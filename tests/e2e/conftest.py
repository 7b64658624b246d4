"""The local stack behind each gateway, started once for every module that asks for it.

A module that needs a stack of its own (one it kills processes of, or starts with other
settings) defines its own ``stack`` fixture.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The modules here import their helpers as top-level modules, as clients' and browser tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_stack import LocalStack, login, signup

GATEWAYS = ("nginx", "python")

_live: dict[int, LocalStack] = {}
"""Shared stacks still running, by ``id``."""

_stopped: dict[int, list[int]] = {}
"""What outlived each shared stack stopped early (by ``id``), for its fixture to assert."""


@pytest.fixture(scope="session", params=GATEWAYS)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    if request.param == "nginx" and not shutil.which("nginx"):
        if os.environ.get("CI"):
            pytest.fail("nginx must be installed in CI: the nginx gateway may not go untested")
        pytest.skip("nginx is not installed here")
    running = LocalStack(request.param, tmp_path_factory.mktemp(f"stack-{request.param}"))
    running.start()
    _live[id(running)] = running
    yield running
    _live.pop(id(running), None)
    leftovers = _stopped.pop(id(running)) if id(running) in _stopped else running.stop()
    assert not leftovers, f"processes outlived the stack's stop: {leftovers}"


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the shared stacks once the next test uses none: session-scoped, they would
    otherwise idle on through the later suites (pytest runs each gateway's tests together)."""
    callspec = getattr(nextitem, "callspec", None)
    if callspec is None or callspec.params.get("stack") not in GATEWAYS:
        for key, running in list(_live.items()):
            _stopped[key] = running.stop()
            del _live[key]


@pytest.fixture(scope="module")
def account(stack: LocalStack) -> dict[str, Any]:
    return signup(stack)


@pytest.fixture(scope="module")
def token(stack: LocalStack, account: dict[str, Any]) -> str:
    reply = login(stack, account["username"], account["password"])
    assert reply.status == 200, reply.body
    return str(reply.json()["access_token"])
