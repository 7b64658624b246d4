"""Conveyor graph API: one GraphQL endpoint over user-service and job-api (``/graphql``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from conveyor_web.app import finish_app, make_app

from . import settings
from .schema import build_schema
from .view import GraphView


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the graph API app; ``config`` overrides settings from the environment."""
    app = make_app(__name__, settings.GraphSettings.from_env().flask_config(), config)
    schema = build_schema(app.config)
    ide = "graphiql" if app.config["GRAPHQL_INTROSPECTION"] else None
    view = GraphView.as_view("graphql", schema=schema, graphql_ide=ide, allow_queries_via_get=False)
    app.add_url_rule("/graphql", view_func=view, methods=["GET", "POST"])
    app.extensions["graphql_schema"] = schema
    return finish_app(app)
