"""Print ``uv pip install`` arguments for the repository's own packages (stdlib only).

    python infra/scripts/local_deps.py --all            # shared, services, clients, [test]
    python infra/scripts/local_deps.py services/job_api # that service + the local packages
                                                        # it declares, nothing else
    python infra/scripts/local_deps.py --third-party services/job_api  # registry deps only
    python infra/scripts/local_deps.py --paths services/worker  # its local packages' dirs,
                                                        # runtime only (for image builds)

Packages depend on each other by name (``conveyor-core``, ``conveyor-worker``), which no
registry serves, so each one is given to the installer as an editable path. A package whose
local dependency does not exist yet is left out of ``--all`` with a warning, so one service
in progress does not stop everyone's ``make install``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def local_packages() -> dict[str, Path]:
    """Return distribution name → directory for shared, every service and every client."""
    found: dict[str, Path] = {}
    for pyproject in [*ROOT.glob("shared/*/pyproject.toml"),
                      *ROOT.glob("services/*/pyproject.toml"),
                      *ROOT.glob("clients/*/pyproject.toml")]:  # fmt: skip
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        found[normalize(name)] = pyproject.parent
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return normalize(match.group(1)) if match else ""


def declared(directory: Path, extra: str | None) -> set[str]:
    """Return the normalized names ``directory`` depends on (with ``extra``'s)."""
    project = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
    requirements = list(project.get("dependencies", []))
    if extra:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    return {requirement_name(r) for r in requirements if requirement_name(r).startswith("conveyor")}


def closure(
    directory: Path, packages: dict[str, Path], with_test: bool = True
) -> tuple[list[Path], set[str]]:
    """Return the local packages ``directory`` needs (itself first) and the missing names."""
    wanted, missing, order = [directory], set(), [directory]
    while wanted:
        current = wanted.pop()
        extra = "test" if with_test and current == directory else None
        for name in declared(current, extra):
            if name not in packages:
                missing.add(name)
            elif packages[name] not in order:
                order.append(packages[name])
                wanted.append(packages[name])
    return order, missing


def third_party(directories: list[Path]) -> list[str]:
    """Return the registry requirements of ``directories`` (runtime only), deduplicated."""
    found: list[str] = []
    for directory in directories:
        project = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            if (
                not requirement_name(requirement).startswith("conveyor")
                and requirement not in found
            ):
                found.append(requirement)
    return found


def arguments(directories: list[Path], with_test: bool) -> list[str]:
    args: list[str] = []
    for directory in directories:
        relative = directory.relative_to(ROOT)
        args += ["-e", f"{relative}[test]" if with_test else str(relative)]
    return args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", type=Path, help="one package directory")
    parser.add_argument("--all", action="store_true", help="every package, with [test] extras")
    parser.add_argument(
        "--third-party",
        action="store_true",
        help="print the target's registry requirements, one a line (for image builds)",
    )
    parser.add_argument(
        "--paths",
        action="store_true",
        help="print the target's own directory and its local packages' (runtime only)",
    )
    args = parser.parse_args()
    packages = local_packages()
    if args.all:
        chosen = []
        for directory in packages.values():
            _, missing = closure(directory, packages)
            if missing:
                print(f"skipping {directory.relative_to(ROOT)}: needs {sorted(missing)}",
                      file=sys.stderr)  # fmt: skip
            else:
                chosen.append(directory)
        print(" ".join(arguments(chosen, with_test=True)))
        return 0
    if args.target is None:
        parser.error("give a package directory or --all")
    runtime_only = args.third_party or args.paths
    order, missing = closure(args.target.resolve(), packages, with_test=not runtime_only)
    if missing:
        print(f"{args.target} needs packages that do not exist: {sorted(missing)}", file=sys.stderr)
        return 1
    if args.third_party:
        print("\n".join(third_party(order)))
        return 0
    if args.paths:
        print(" ".join(str(directory.relative_to(ROOT)) for directory in reversed(order)))
        return 0
    # The package itself with its [test] extra; its local dependencies plain.
    print(" ".join(arguments(order[:1], with_test=True) + arguments(order[1:], with_test=False)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
