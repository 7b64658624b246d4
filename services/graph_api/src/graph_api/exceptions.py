"""The graph's own errors: what it puts in a response's ``errors[]``."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


def camel(name: str) -> str:
    """``current_password`` -> ``currentPassword`` (the names the graph's inputs use)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class ApiError(GraphQLError):
    """A REST answer that is an error, carried into ``errors[]`` with its code."""

    def __init__(self, message: str, code: str, errors: Any = None) -> None:
        extensions: dict[str, Any] = {"code": code}
        if isinstance(errors, dict):
            extensions["errors"] = {camel(str(key)): value for key, value in errors.items()}
        elif errors:
            extensions["errors"] = {"_schema": errors}
        super().__init__(message, extensions=extensions)
