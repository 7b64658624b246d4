"""docs/schema.graphql is the schema the service serves (``make graphql-schema`` writes it)."""

from __future__ import annotations

from pathlib import Path

from graph_api.printschema import sdl


def test_checked_in_schema_matches_the_running_schema(repo_root: Path, app: object) -> None:
    served = app.extensions["graphql_schema"].as_str() + "\n"  # type: ignore[attr-defined]
    assert served == sdl()
    assert (repo_root / "docs" / "schema.graphql").read_text() == served
