"""The JWT key pair: made once, kept, and read by the settings loader."""

from pathlib import Path

from conveyor_core.settings import load
from conveyor_web.jwt_keys import ensure


def test_key_files_are_read(tmp_path: Path) -> None:
    ensure(tmp_path / "keys")
    config = load("x", {"VAR_DIR": str(tmp_path)})
    assert "BEGIN PUBLIC KEY" in config["JWT_PUBLIC_KEY"]
    assert "BEGIN PRIVATE KEY" in config["JWT_PRIVATE_KEY"]


def test_ensure_keeps_an_existing_pair(tmp_path: Path) -> None:
    assert ensure(tmp_path) is True
    before = (tmp_path / "jwt_public.pem").read_text()
    assert ensure(tmp_path) is False
    assert (tmp_path / "jwt_public.pem").read_text() == before
