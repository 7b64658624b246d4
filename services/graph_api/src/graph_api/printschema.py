"""Print the graph's schema in SDL (``make graphql-schema`` writes it to docs/schema.graphql)."""

from __future__ import annotations

import sys

from .schema import build_schema


def sdl() -> str:
    """The schema as SDL text, ending with a newline."""
    return build_schema().as_str() + "\n"


def main() -> int:
    sys.stdout.write(sdl())
    return 0


if __name__ == "__main__":
    sys.exit(main())
