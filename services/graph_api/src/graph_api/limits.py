"""Limits checked before any resolver runs, and the codes errors carry.

Depth, aliases and tokens are strawberry's own extensions; the cost of a document is
estimated here: every field costs 1, and a list's fields cost once per item it may return
(``perPage``; a variable counts as the largest page, 100).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

PAGED_FIELDS = frozenset({"users", "jobs", "schedules"})
"""Fields that return a page of items, ``perPage`` of them at most."""

PER_PAGE_DEFAULT, PER_PAGE_MAX = 20, 100
"""REST's page sizes."""


def _per_page(node: FieldNode) -> int | GraphQLError:
    for argument in node.arguments or ():
        if argument.name.value != "perPage":
            continue
        if isinstance(argument.value, VariableNode):
            return PER_PAGE_MAX
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
            if not 1 <= value <= PER_PAGE_MAX:
                return GraphQLError(
                    f"perPage must be 1 to {PER_PAGE_MAX}.",
                    argument,
                    extensions={
                        "code": "BAD_USER_INPUT",
                        "errors": {"perPage": [f"Must be between 1 and {PER_PAGE_MAX}."]},
                    },
                )
            return value
    return PER_PAGE_DEFAULT


class CostLimit(ValidationRule):
    """Refuse an operation whose estimated cost is over ``max_cost``."""

    max_cost = 5000

    @classmethod
    def rule(cls, max_cost: int) -> type[CostLimit]:
        return type("CostLimit", (cls,), {"max_cost": max_cost})

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            definition.name.value: definition
            for definition in self.context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._fragments = fragments
        self._costs: dict[str, int] = {}
        self._visiting: set[str] = set()
        cost = self._cost(node.selection_set)
        if cost > self.max_cost:
            self.report_error(
                GraphQLError(
                    f"The query costs {cost}, over the limit of {self.max_cost}; "
                    "ask for fewer items or fields.",
                    node,
                    extensions={"code": "COST_LIMIT_EXCEEDED", "cost": cost},
                )
            )

    def _cost(self, selections: SelectionSetNode | None) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                inner = self._cost(selection.selection_set)
                if selection.name.value in PAGED_FIELDS:
                    per_page = _per_page(selection)
                    if isinstance(per_page, GraphQLError):
                        self.report_error(per_page)
                        per_page = PER_PAGE_MAX
                    inner *= per_page
                total += 1 + inner
            elif isinstance(selection, InlineFragmentNode):
                total += self._cost(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value)
        return total

    def _fragment_cost(self, name: str) -> int:
        # Each fragment is costed once (reuse cannot blow the walk up); a cycle, which
        # graphql-core's own rules refuse, counts as nothing here.
        if name in self._costs:
            return self._costs[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._visiting:
            return 0
        self._visiting.add(name)
        self._costs[name] = self._cost(fragment.selection_set)
        self._visiting.discard(name)
        return self._costs[name]


def should_mask(error: GraphQLError) -> bool:
    """Mask what no rule of ours raised (a bug, a library error): its text may leak internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


_FIELD_PATTERNS = (
    re.compile(r"at '[^']*?\.(\w+)"),
    re.compile(r"invalid value at \.(\w+)"),
    re.compile(r"required field '(\w+)'"),
    re.compile(r"Field '(?:\w+\.)?(\w+)' (?:of required type|is not defined)"),
    re.compile(r"unknown field '(\w+)'"),
)


def _field_of(message: str) -> str | None:
    for pattern in _FIELD_PATTERNS:
        match = pattern.search(message)
        if match:
            return match.group(1)
    return None


def _code(error: GraphQLError, executed: bool) -> dict[str, Any]:
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        return {"code": "INTERNAL_SERVER_ERROR"}
    if not executed:
        code = (
            "GRAPHQL_PARSE_FAILED"
            if error.message.startswith("Syntax Error")
            else ("GRAPHQL_VALIDATION_FAILED")
        )
        return {"code": code}
    # Raised by graphql-core before any resolver: a variable of the wrong type or shape.
    field = _field_of(error.message)
    return {"code": "BAD_USER_INPUT", **({"errors": {field: [error.message]}} if field else {})}


class OnlyExecuted(SchemaExtension):
    """Answer 200 only for operations that were executed (the view starts at 400), and give
    every error an ``extensions.code``."""

    executed = False

    def on_execute(self) -> Iterator[None]:
        self.executed = True
        self.execution_context.context.response.status_code = 200
        yield

    def on_operation(self) -> Iterator[None]:
        self.executed = False
        yield
        result = self.execution_context.result
        for error in (result.errors if result else None) or ():
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), **_code(error, self.executed)}
