"""The REST APIs behind the graph, called with the caller's own token.

Every rule (validation, who may see what, hidden fields, idempotency, rate limits) stays
with REST: a REST error becomes a GraphQL error whose ``extensions.code`` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from .exceptions import ApiError

CODES = {
    400: "BAD_USER_INPUT",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    # The path held the caller's id: an id that leaves no route (empty, or "/" in it) names
    # no job, so the method-not-allowed it meets is the caller's not-found.
    405: "NOT_FOUND",
    409: "CONFLICT",
    413: "BAD_USER_INPUT",
    422: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
}
"""``extensions.code`` for each REST status the graph passes on."""

FORWARDED = ("Authorization", "X-Request-ID", "Idempotency-Key", "X-Forwarded-For")
"""Request headers the graph hands on to REST, so REST sees the caller as they are."""


def not_found(what: str) -> ApiError:
    return ApiError(f"{what} not found.", "NOT_FOUND")


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    code = CODES.get(response.status_code)
    if code is None:  # a 5xx or something REST never says: no detail goes out
        raise ApiError("A backing service failed; try again shortly.", "SERVICE_UNAVAILABLE")
    detail = str(problem.get("detail") or problem.get("title") or code)
    raise ApiError(detail, code, problem.get("errors"))


class Backend:
    """One request's client of user-service and job-api (``close`` it at the end)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        headers: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.users_url = str(config["USER_SERVICE_URL"]).rstrip("/")
        self.jobs_url = str(config["JOB_API_URL"]).rstrip("/")
        forwarded = {name: headers[name] for name in FORWARDED if headers.get(name)}
        self.client = httpx.AsyncClient(
            headers=forwarded, timeout=float(config["BACKEND_TIMEOUT"]), transport=transport
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one request; return its JSON body (``None`` for 204), or raise ``ApiError``."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            response = await self.client.request(method, url, params=query, json=json)
        except httpx.HTTPError:
            raise ApiError(
                "A backing service is unavailable; try again shortly.", "SERVICE_UNAVAILABLE"
            ) from None
        _raise_for(response)
        return None if response.status_code == 204 else response.json()

    def user_path(self, path: str = "") -> str:
        return f"{self.users_url}/api/users{path}"

    def job_path(self, job_id: str | None = None, action: str = "") -> str:
        """``/api/jobs``, or one job's path (the id quoted: it is the caller's text)."""
        if job_id is None:
            return f"{self.jobs_url}/api/jobs"
        return f"{self.jobs_url}/api/jobs/{quote(job_id, safe='')}{action}"

    def schedule_path(self) -> str:
        return f"{self.jobs_url}/api/schedules"
