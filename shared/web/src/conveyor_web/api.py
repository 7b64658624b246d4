"""Thin flask-smorest subclasses (errors documented as problem documents, strict argument
parsing) and the list envelope every collection uses."""

from __future__ import annotations

import http
import math
import re
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask import Flask, Request
from flask_smorest.utils import prepare_response
from sqlalchemy import Select, func, select
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy

from conveyor_web import json_body
from conveyor_web.errors import PROBLEM_MIME

PER_PAGE_DEFAULT = 20
"""Items per page when the caller does not say."""

PER_PAGE_MAX = 100
"""Largest page a caller may ask for."""


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only; see ``errors.problem``)."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, validate=ma.validate.Range(min=400, max=599))
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(metadata={"description": "Validation errors keyed by field (422 only)"})


PROBLEM_STATUSES = {
    503: "A backing service (Redis, the database) is unavailable; retry after Retry-After",
    500: "An unexpected error; the problem says nothing about internals",
}
"""Statuses any route may answer, whatever it does: documented on every operation."""

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def problem_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI response whose body is a problem document."""
    response: dict[str, Any] = {"description": description, "schema": ProblemSchema}
    if headers:
        response["headers"] = headers
    return response


class SchemaRulesPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, adding a schema class's ``OPENAPI`` mapping to its JSON
    schema: the rules between fields (``oneOf``, ``minProperties``) that no field can state,
    so that what the document calls valid is what the API accepts."""

    # apispec's own plugin already differs from its base class's signature; this keeps its.
    def schema_helper(self, name: Any, _: Any, schema: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        rules = getattr(resolve_schema_instance(schema), "OPENAPI", None) if schema else None
        if json_schema is not None and rules:
            json_schema.update(rules)
        return json_schema


class Api(flask_smorest.Api):
    """flask-smorest ``Api`` whose documented errors are problem details
    (``application/problem+json``, :class:`ProblemSchema`), the way every error is answered
    (:mod:`.errors`)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_responses(self) -> None:
        # flask-smorest's own registers them as application/json: the one thing ours change.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_MIME
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        default = problem_response("Any other error, as a problem document")
        prepare_response(default, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

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
        spec: dict[str, Any] = {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            }
        }
        spec["marshmallow_plugin"] = SchemaRulesPlugin()
        spec.update(spec_kwargs or {})
        super().init_app(app, spec_kwargs=spec)


class SingleValueProxy(MultiDictProxy):
    """webargs' view of the query string, where a field that takes one value and is given
    several (``?per_page=1&per_page=2``) gets the list, which it refuses (a 422), instead of
    the first value, which would be to guess what the caller meant."""

    def __getitem__(self, key: str) -> Any:
        getlist = getattr(self.data, "getlist", None)  # werkzeug's MultiDict has it
        if key not in self.multiple_keys and getlist is not None:
            values = getlist(key)
            if len(values) > 1:
                return values
        return super().__getitem__(key)


class Parser(FlaskParser):
    """webargs' Flask parser, strict about shapes:

    - JSON bodies are decoded by :func:`.json_body.loads`: a body nested too deep or holding
      a lone surrogate is answered as invalid JSON (400);
    - a query parameter no route declares (``?page[a]=1``, ``?sort[]=id``) is a 422, as an
      unknown JSON field is, rather than silently dropped;
    - a one-value query parameter given several times is a 422 (:class:`SingleValueProxy`).
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req: Request) -> Any:
        # webargs' own hook for decoding (its load_json turns the errors into a 400).
        if not is_json_request(req):
            return ma.missing
        return json_body.loads(req.get_data(cache=True))

    def load_querystring(self, req: Request, schema: ma.Schema) -> Any:
        return SingleValueProxy(req.args, schema, known_multi_fields=tuple(self.KNOWN_MULTI_FIELDS))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest ``Blueprint`` that parses arguments with :class:`Parser` and documents
    what every route may answer besides its own responses (after bemserver-api's
    ``extensions/smorest.py``):

    - every error response, unless a route says otherwise, as a problem document;
    - 401 on every authenticated route (:meth:`login_required`);
    - 400 on every route that reads a JSON body (it may not be JSON), 422 on every route
      that takes arguments;
    - 500 and 503 on every route (:data:`PROBLEM_STATUSES`).
    """

    ARGUMENTS_PARSER = Parser()

    def login_required(self, func: Any) -> Any:
        """Mark a view as needing a bearer token in the OpenAPI document."""
        func = self.doc(security=[{"bearerAuth": []}])(func)
        return self.alt_response(401, description="Missing, invalid or revoked token")(func)

    def alt_response(
        self,
        status_code: int,
        response: Any = None,
        *,
        schema: Any = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """flask-smorest's ``alt_response``, where an error's body is a problem document."""
        if response is None and int(status_code) >= 400:
            schema = schema or ProblemSchema
            content_type = content_type or PROBLEM_MIME
        return super().alt_response(
            status_code, response, schema=schema, content_type=content_type, **kwargs
        )

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``; a JSON body's route also documents the 400 that
        answers a body that is not JSON."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse
        bad_json = self.alt_response(400, description="The body is not valid JSON")
        return lambda func: bad_json(parse(func))

    @staticmethod
    def _prepare_response_doc(
        doc: Any, doc_info: Any, *, api: Any, spec: Any, **kwargs: Any
    ) -> Any:
        responses = doc_info.setdefault("response", {}).setdefault("responses", {})
        for status, description in PROBLEM_STATUSES.items():
            headers = RETRY_AFTER if status == 503 else None
            response = {**problem_response(description, headers), "content_type": PROBLEM_MIME}
            responses.setdefault(status, [response])
        return flask_smorest.Blueprint._prepare_response_doc(
            doc, doc_info, api=api, spec=spec, **kwargs
        )


MAX_USER_ID = 2**31 - 1
"""Largest user id (a 32-bit INTEGER on PostgreSQL): a larger one would overflow the driver."""

_USER_ID = (
    "(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
    "|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
    "|21474836[0-3][0-9]|214748364[0-7])"
)
"""1 to ``MAX_USER_ID`` in decimal, without leading zeros (in the OpenAPI ``pattern`` too,
so a schema-driven client generates only ids the API takes)."""

USER_ID_LIST = f"^{_USER_ID}(?:,{_USER_ID}){{0,{PER_PAGE_MAX - 1}}}$"


class UserIdList(ma.fields.Field[list[int]]):
    """``1,2,3``: up to a page's worth (100) of user ids, for reading many users' rows in one
    request; loads as the sorted distinct ids."""

    def __init__(self, **kwargs: Any) -> None:
        documented = {"type": "string", "pattern": USER_ID_LIST}
        kwargs["metadata"] = {**documented, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[int]:
        text = str(value)
        parts = text.split(",")
        if len(parts) > PER_PAGE_MAX:
            raise ma.ValidationError(f"Give at most {PER_PAGE_MAX} ids.")
        if re.fullmatch(USER_ID_LIST, text) is None:
            raise ma.ValidationError(
                f"Give user ids (1 to {MAX_USER_ID}) as comma-separated decimal integers."
            )
        return sorted({int(part) for part in parts})


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
