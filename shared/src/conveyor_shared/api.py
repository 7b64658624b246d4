"""Thin flask-smorest subclasses and the list envelope every collection uses."""

from __future__ import annotations

import math
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import Flask, Request
from sqlalchemy import Select, func, select
from webargs.flaskparser import FlaskParser, is_json_request

from . import json_body

PER_PAGE_DEFAULT = 20
"""Items per page when the caller does not say."""

PER_PAGE_MAX = 100
"""Largest page a caller may ask for."""


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only; see ``errors.problem``)."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.Dict()


class Api(flask_smorest.Api):
    """flask-smorest ``Api`` whose documented errors are problem details."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def __init__(self, app: Flask | None = None, *, docs_prefix: str = "/docs") -> None:
        self.docs_prefix = docs_prefix
        super().__init__(app)

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        app.config.setdefault("API_TITLE", f"Conveyor {app.config.get('SERVICE_NAME', 'API')}")
        app.config.setdefault("API_VERSION", "v1")
        app.config.setdefault("OPENAPI_VERSION", "3.0.3")
        app.config.setdefault("OPENAPI_URL_PREFIX", self.docs_prefix)
        app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
        app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "/")
        app.config.setdefault(
            "OPENAPI_SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
        )
        spec = {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            }
        }
        spec.update(spec_kwargs or {})
        super().init_app(app, spec_kwargs=spec)


class Parser(FlaskParser):
    """webargs' Flask parser, decoding JSON bodies strictly (:func:`.json_body.loads`): a
    body nested too deep or holding a lone surrogate is answered as invalid JSON (400)."""

    def _raw_load_json(self, req: Request) -> Any:
        # webargs' own hook for decoding (its load_json turns the errors into a 400).
        if not is_json_request(req):
            return ma.missing
        return json_body.loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest ``Blueprint`` that documents 401 on every authenticated route and parses
    arguments with :class:`Parser`."""

    ARGUMENTS_PARSER = Parser()

    def login_required(self, func: Any) -> Any:
        """Mark a view as needing a bearer token in the OpenAPI document."""
        func = self.doc(security=[{"bearerAuth": []}])(func)
        return self.alt_response(401, description="Missing, invalid or revoked token")(func)


def list_args_schema(
    sort_fields: list[str], default_sort: str = "id", name: str = "ListArgs"
) -> type[ma.Schema]:
    """Make a query-args schema with ``page``, ``per_page`` and ``sort`` among ``sort_fields``."""
    choices = sort_fields + [f"-{field}" for field in sort_fields]
    fields: dict[str, ma.fields.Field] = {
        "page": ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1)),
        "per_page": ma.fields.Integer(
            load_default=PER_PAGE_DEFAULT, validate=ma.validate.Range(min=1, max=PER_PAGE_MAX)
        ),
        "sort": ma.fields.String(load_default=default_sort, validate=ma.validate.OneOf(choices)),
    }
    return ma.Schema.from_dict(fields, name=name)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Make the envelope schema ``{"items", "page", "per_page", "total", "pages"}``."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
            "pages": ma.fields.Integer(),
        },
        name=name,
    )


def order_by(model: Any, sort: str) -> list[Any]:
    """Turn ``-created_at`` into ``ORDER BY created_at DESC, id DESC`` (id breaks ties)."""
    descending = sort.startswith("-")
    column = getattr(model, sort.lstrip("-"))
    primary = column.desc() if descending else column.asc()
    if sort.lstrip("-") == "id":
        return [primary]
    return [primary, model.id.desc() if descending else model.id.asc()]


def paginate(session: Any, query: Select[Any], page: int, per_page: int) -> dict[str, Any]:
    """Run ``query`` for one page and return the list envelope."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    count = int(total.scalar_one())
    offset = (page - 1) * per_page
    # A page past the end is empty without asking the database: a huge page number would
    # overflow the driver's integer (a 500) instead of giving the empty page SPEC promises.
    items = (
        []
        if offset >= count
        else session.execute(query.limit(per_page).offset(offset)).scalars().all()
    )
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": count,
        "pages": math.ceil(count / per_page) if count else 0,
    }
