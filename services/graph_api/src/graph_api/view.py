"""``POST /graphql``: strawberry's async Flask view, one REST client per request."""

from __future__ import annotations

from typing import Any

from flask import Request, Response, current_app, g
from flask.typing import ResponseReturnValue
from strawberry.flask.views import AsyncGraphQLView

from conveyor_web import request_id

from .backend import Backend
from .context import Context

TRANSPORT = "GRAPH_HTTP_TRANSPORT"
"""Config key of an optional ``httpx.AsyncBaseTransport`` (tests count calls with one)."""


class GraphView(AsyncGraphQLView):  # type: ignore[type-arg]
    """Strawberry's view; a response starts as 400 and becomes 200 once execution begins
    (``limits.OnlyExecuted``), so a document that fails to parse or to pass a limit is a 400."""

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        headers = dict(request.headers.items())
        headers["X-Request-ID"] = request_id.current() or headers.get("X-Request-ID", "")
        backend = Backend(current_app.config, headers, current_app.config.get(TRANSPORT))
        g.graph_backend = backend
        response.status_code = 400
        return Context(backend=backend, response=response)

    async def dispatch_request(self) -> ResponseReturnValue:  # type: ignore[override]
        try:
            return await super().dispatch_request()
        finally:
            backend: Backend | None = g.pop("graph_backend", None)
            if backend is not None:
                await backend.close()

    def encode_json(self, data: Any) -> str:
        return current_app.json.dumps(data)
