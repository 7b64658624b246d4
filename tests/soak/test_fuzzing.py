"""API fuzzing at size: schemathesis, every check and phase, against user-service's and
job-api's OpenAPI documents, signed in and anonymous, with hundreds of test cases per
operation. Pass: no check finds anything (no 5xx, every answer as documented).

``make soak`` only: ``make test`` runs the same fuzzing at a few cases per operation in each
service's own suite (``test_*_openapi.py``), which is what fits CI's time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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


RUNS = [(service, signed_in) for service in DOCUMENTS for signed_in in (False, True)]
"""Each service's document, anonymous and signed in: four schemathesis processes."""


def _fuzz(urls: dict[str, str], token: str, scratch: Path, service: str, signed_in: bool) -> str:
    """Run one schemathesis process, record its figures; its failure's text, or ``""``."""
    who = "authenticated" if signed_in else "anonymous"
    report_dir = scratch / f"{service}-{who}"
    report_dir.mkdir()
    headers = [f"Authorization: Bearer {token}"] if signed_in else []
    run = run_schemathesis(
        urls[service] + DOCUMENTS[service], report_dir, headers, CONFIGS.get(service),
        max_examples=sizes.FUZZ_EXAMPLES, timeout=RUN_TIMEOUT,
    )  # fmt: skip
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
    if run.returncode == 0:
        return ""
    return f"--- {service}, {who} ---\n" + run.stdout[-10000:] + run.stderr[-3000:]


def test_schemathesis_finds_nothing_at_size(apps: dict[str, Flask], tmp_path: Path) -> None:
    """The four runs go side by side (each is mostly its own process's work, and one after
    another they took 8 of make soak's 45 minutes); every one must find nothing."""
    token = _token(apps["user-service"])
    with serve(apps["user-service"]) as users, serve(apps["job-api"]) as jobs:
        urls = {"user-service": users, "job-api": jobs}
        with ThreadPoolExecutor(max_workers=len(RUNS)) as pool:
            failures = list(pool.map(
                lambda run: _fuzz(urls, token, tmp_path, *run), RUNS))  # fmt: skip
    assert not any(failures), "\n".join(failures)
