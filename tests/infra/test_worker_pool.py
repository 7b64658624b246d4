"""The compose worker container's entrypoint (infra/scripts/worker_pool.py), checked offline:
the command it execs and the supervisord configuration it writes, read by supervisord's own
parser (there is no Docker engine here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import worker_pool
import yaml
from supervisor.options import ServerOptions

ROOT = Path(__file__).resolve().parents[2]


def _parsed(config: Path) -> dict[str, Any]:
    """Each program (and event listener) of ``config`` as supervisord itself reads it."""
    options = ServerOptions()
    options.realize(args=["-c", str(config)])
    return {group.name: group.process_configs[0] for group in options.process_group_configs}


@pytest.fixture
def pool(tmp_path: Path) -> tuple[list[str], dict[str, Any]]:
    """The command and programs for WORKER_AUTOSCALE=1,3 and a 20 s shutdown grace."""
    env = {"WORKER_AUTOSCALE": "1,3", "JOB_SHUTDOWN_GRACE": "20"}
    argv = worker_pool.command(env, tmp_path)
    return argv, _parsed(Path(argv[-1]))


def test_without_autoscale_the_container_is_one_worker(tmp_path: Path) -> None:
    assert worker_pool.command({"WORKER_AUTOSCALE": ""}, tmp_path) == [
        sys.executable, "-m", "worker"]  # fmt: skip


def test_with_autoscale_the_container_runs_supervisord(
    pool: tuple[list[str], dict[str, Any]],
) -> None:
    assert pool[0][1:4] == ["-m", "supervisor.supervisord", "-c"]


def test_the_pool_holds_max_workers_and_starts_min(pool: tuple[list[str], dict[str, Any]]) -> None:
    programs = pool[1]
    workers = {name: config.autostart for name, config in programs.items() if "worker-" in name}
    assert workers == {"worker-1": True, "worker-2": False, "worker-3": False}


def test_the_autoscaler_runs_beside_the_workers(pool: tuple[list[str], dict[str, Any]]) -> None:
    autoscaler = pool[1]["autoscaler"]
    assert autoscaler.autostart and autoscaler.command.endswith("infra/scripts/autoscaler.py")


def test_a_worker_gets_its_grace_before_it_is_killed(
    pool: tuple[list[str], dict[str, Any]],
) -> None:
    assert pool[1]["worker-2"].stopwaitsecs == 20 + worker_pool.WORKER_STOP_MARGIN


@pytest.mark.parametrize("setting", ["3,1", "0,2", "two", "1,2,3"])
def test_a_bad_setting_is_refused(setting: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="WORKER_AUTOSCALE"):
        worker_pool.command({"WORKER_AUTOSCALE": setting}, tmp_path)


@pytest.fixture(scope="module")
def worker() -> dict[str, Any]:
    """Compose's worker service."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return dict(services["worker"])


def test_compose_worker_runs_the_entrypoint_the_image_holds(worker: dict[str, Any]) -> None:
    script = worker["command"][-1]
    assert script == "/app/infra/scripts/worker_pool.py"
    dockerfile = (ROOT / worker["build"]["dockerfile"]).read_text()
    assert "COPY infra/scripts/ infra/scripts/" in dockerfile
    assert "supervisor" in worker["build"]["args"]["EXTRA_PACKAGES"]


def test_compose_worker_passes_the_autoscale_settings(worker: dict[str, Any]) -> None:
    env = worker["environment"]
    assert {"WORKER_AUTOSCALE", "WORKER_SCALE_UP_BACKLOG", "WORKER_IDLE_SECONDS"} <= set(env)
    assert env["JOB_API_URL"] == "http://job-api:8000"
    assert env["AUTOSCALER_METRICS_ADDR"] == "0.0.0.0"  # scraped from outside the container


def test_compose_stop_grace_outlasts_a_pool_workers_stop(worker: dict[str, Any]) -> None:
    grace = int(worker["environment"]["JOB_SHUTDOWN_GRACE"].split(":-")[1].rstrip("}"))
    assert int(worker["stop_grace_period"].rstrip("s")) > grace + worker_pool.WORKER_STOP_MARGIN
