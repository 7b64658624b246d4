"""Apply the Alembic migrations of every installed Conveyor package that ships them.

    python -m conveyor_core.migrate               # every package with a migrations/ folder
    python -m conveyor_core.migrate job_api ...   # only these

A package migrates when it ships ``migrations/env.py``; ``make migrate``, ``make run``, the
compose prestarts and the Kubernetes Jobs all come here, so a new service's migrations run
without naming it anywhere. A package with a Flask app (``create_app``) upgrades through
Flask-Migrate (``flask --app PACKAGE db upgrade``, in its own process, as it always did); one
without (the notifier) through Alembic at the database URL its settings give
(``PACKAGE.settings.load()``). Settings come from the environment.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

DISTRIBUTION_PREFIX = "conveyor-"
"""Conveyor's distributions are ``conveyor-<package with dashes>`` (``conveyor-job-api``)."""


def migrations_dir(package: str) -> Path | None:
    """The ``migrations/`` folder shipped inside ``package`` (holding ``env.py``), if any."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "migrations"
        if (folder / "env.py").is_file():
            return folder
    return None


def migrating_packages() -> list[str]:
    """Every installed Conveyor package that ships migrations, by name."""
    found = set()
    for distribution in importlib.metadata.distributions():
        name = (distribution.metadata["Name"] or "").lower()
        if not name.startswith(DISTRIBUTION_PREFIX):
            continue
        package = name.removeprefix(DISTRIBUTION_PREFIX).replace("-", "_")
        if migrations_dir(package) is not None:
            found.add(package)
    return sorted(found)


def has_app(package: str) -> bool:
    """Whether ``package``'s ``__init__`` offers ``create_app`` (read, not imported)."""
    spec = importlib.util.find_spec(package)
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    return origin is not None and "def create_app" in origin.read_text()


def upgrade(package: str, environ: Mapping[str, str] | None = None) -> None:
    """Bring ``package``'s database to its newest revision."""
    folder = migrations_dir(package)
    if folder is None:
        raise SystemExit(f"{package} ships no migrations")
    if has_app(package):
        flask = [sys.executable, "-m", "flask", "--app", package, "db", "upgrade"]
        done = subprocess.run(flask, env=None if environ is None else dict(environ), check=False)
        if done.returncode != 0:
            raise SystemExit(f"{package}: db upgrade failed ({done.returncode})")
        return
    settings = importlib.import_module(f"{package}.settings")
    url = str(settings.load(environ)["SQLALCHEMY_DATABASE_URI"])
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conveyor_core.migrate", description=__doc__)
    parser.add_argument("packages", nargs="*", help="default: every package with migrations")
    args = parser.parse_args(argv)
    for package in args.packages or migrating_packages():
        print(f"{package}: db upgrade", flush=True)
        upgrade(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
