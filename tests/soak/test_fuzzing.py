"""API fuzzing at size: schemathesis, every check and phase, against user-service's and
job-api's OpenAPI documents, signed in and anonymous, with hundreds of test cases per
operation. Pass: no check finds anything (no 5xx, every answer as documented).

``make soak`` only: ``make test`` runs the same fuzzing at a few cases per operation in each
service's own suite (``test_*_openapi.py``), which is what fits CI's time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import service_apps
from flask import Flask

from conveyor_testing.api import run_schemathesis, serve

from . import report, sizes

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = {"user-service": "/docs/users/openapi.json", "job-api": "/docs/jobs/openapi.json"}
CONFIGS = {"job-api": (ROOT / "services/job_api/tests/schemathesis.toml").read_text()}
"""Per-operation settings a service's own OpenAPI test uses (why, in the file itself)."""

RUN_TIMEOUT = 3_000.0
"""Seconds one full-size schemathesis run may take."""

pytestmark = pytest.mark.skipif(
    not sizes.full(), reason="make test fuzzes in each service's suite; this is make soak's size"
)


@pytest.fixture
def apps(redis_url: str, jwt_keys: tuple[str, str], tmp_path: Path) -> Iterator[dict[str, Flask]]:
    """Both services on SQLite (the database changes nothing schemathesis checks)."""
    sqlite = f"sqlite:///{tmp_path / 'users.db'}"
    with (
        service_apps.database_pair(sqlite, tmp_path) as databases,
        service_apps.running(databases, redis_url, jwt_keys, tmp_path) as (users, jobs),
    ):
        jobs.config["EVENTS_MAX_STREAM_SECONDS"] = 1  # an event stream ends, so each case does
        yield {"user-service": users, "job-api": jobs}


def _token(users: Flask) -> str:
    client = users.test_client()
    body = {"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzzing at size"}
    assert client.post("/api/users", json=body).status_code == 201
    login = client.post("/api/auth/login", json={k: body[k] for k in ("username", "password")})
    return str(login.get_json()["access_token"])


def _figure(output: str, pattern: str) -> int:
    found = re.search(pattern, output)
    return int(found.group(1)) if found else -1


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "authenticated"])
@pytest.mark.parametrize("service", list(DOCUMENTS))
def test_schemathesis_finds_nothing_at_size(
    apps: dict[str, Flask], tmp_path: Path, service: str, signed_in: bool
) -> None:
    headers = [f"Authorization: Bearer {_token(apps['user-service'])}"] if signed_in else []
    with serve(apps[service]) as url:
        run = run_schemathesis(
            url + DOCUMENTS[service], tmp_path, headers, CONFIGS.get(service),
            max_examples=sizes.FUZZ_EXAMPLES, timeout=RUN_TIMEOUT,
        )  # fmt: skip
    who = "authenticated" if signed_in else "anonymous"
    operations, cases = (
        _figure(run.stdout, r"Tested: (\d+)"),
        _figure(run.stdout, r"(\d+) generated"),
    )
    report.record(
        f"API fuzzing, {service}, {who}", max_examples=sizes.FUZZ_EXAMPLES,
        operations=operations, test_cases=cases,
        cases_per_operation=round(cases / operations) if operations > 0 else 0,
        failed=_figure(run.stdout, r"(\d+) failed") if run.returncode else 0,
        seconds=_figure(run.stdout, r" in (\d+)"),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
