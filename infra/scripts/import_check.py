"""Import every module of one package, then collect its test suite: run by ``.ci/run`` in a
fresh venv that holds only what the package declares, so an undeclared import fails here.

    python infra/scripts/import_check.py services/job_api

Importing and collecting find what a full second run of the suite would (a module-level
import of an undeclared package), in seconds rather than minutes; the suite itself runs
once, in the shared environment, under ``make test``.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path


def packages(project: Path) -> list[str]:
    """The top-level packages under ``project/src``."""
    return sorted(p.name for p in (project / "src").iterdir() if (p / "__init__.py").exists())


def import_all(package: str) -> list[str]:
    """Import ``package`` and every module below it; return the failures."""
    failures = []
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, f"{package}."):
        if ".migrations." in f"{module.name}." or module.name.endswith(".__main__"):
            continue  # Alembic scripts run inside Alembic, and a __main__ runs the program
        try:
            importlib.import_module(module.name)
        except Exception as error:  # any failure to import is what this check reports
            failures.append(f"{module.name}: {type(error).__name__}: {error}")
    return failures


def main(argv: list[str]) -> int:
    project = Path(argv[0]).resolve()
    failures = [f for package in packages(project) for f in import_all(package)]
    for failure in failures:
        print(f"import failed: {failure}", file=sys.stderr)
    tests = project / "tests"
    collected = 0
    if tests.is_dir():
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                   "no:cacheprovider", "tests"]  # fmt: skip
        collected = subprocess.run(command, cwd=project, check=False).returncode
    print(f"{project.name}: {'ok' if not failures and not collected else 'FAILED'}")
    return 1 if failures or collected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
