"""The token file: one signed-in session per server URL, readable by its owner only.

``$XDG_CONFIG_HOME/conveyor/credentials.json`` (default ``~/.config/conveyor/``), mode 600 in
a directory of mode 700. Every change is written to a new file that replaces the old one, so
a reader never sees half a file, under a lock file, so two ``conveyor`` processes that
refresh at once do not spend the same refresh token twice (which would end the session).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NotSignedIn

if TYPE_CHECKING:
    from filelock import FileLock

FILE_NAME = "credentials.json"


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return ``$XDG_CONFIG_HOME/conveyor`` (``~/.config/conveyor`` when it is unset)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "conveyor"


def token_expiry(token: str) -> float | None:
    """Return a JWT's ``exp`` claim (unverified: the server verifies; this only saves a 401)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Session:
    """One server's tokens."""

    url: str
    username: str
    access_token: str
    refresh_token: str

    def access_expired(self, now: float | None = None) -> bool:
        expiry = token_expiry(self.access_token)
        return expiry is not None and expiry <= (time.time() if now is None else now)


class TokenStore:
    """Read and write the token file in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    @cached_property
    def lock(self) -> FileLock:
        """The lock file, created on first use (one object per store: filelock's locks are
        re-entrant per object). Imported here: most commands never write the file."""
        from filelock import FileLock

        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return FileLock(str(self.directory / f"{FILE_NAME}.lock"), mode=0o600)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"current": None, "servers": {}}
        except (OSError, ValueError) as error:
            raise NotSignedIn(
                f"cannot read {self.path} ({error}); sign in again with conveyor login"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            raise NotSignedIn(f"{self.path} is not a token file; sign in again")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        # Created with mode 600 from the start: never a moment when others could read it.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(data, file, indent=2)
        os.chmod(temporary, 0o600)  # O_CREAT's mode is masked by umask; be exact
        os.replace(temporary, self.path)

    def current_url(self) -> str | None:
        """Return the server of the latest login, if any."""
        current = self._read().get("current")
        return current if isinstance(current, str) else None

    def get(self, url: str) -> Session | None:
        entry = self._read()["servers"].get(url)
        if not isinstance(entry, dict):
            return None
        try:
            return Session(url=url, **{k: str(entry[k]) for k in _FIELDS})
        except KeyError:
            return None

    def put(self, session: Session, *, make_current: bool) -> None:
        with self.lock:
            data = self._read()
            entry = asdict(session)
            del entry["url"]
            data["servers"][session.url] = entry
            if make_current:
                data["current"] = session.url
            self._write(data)

    def remove(self, url: str) -> bool:
        """Forget ``url``'s session; return whether there was one."""
        with self.lock:
            data = self._read()
            found = data["servers"].pop(url, None) is not None
            if data.get("current") == url:
                data["current"] = None
            if found:
                self._write(data)
            return found


_FIELDS = ("username", "access_token", "refresh_token")
