"""HTTP to the public API: bearer tokens, one transparent refresh, errors as ``CliError``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx

from . import __version__
from .credentials import Session, TokenStore
from .errors import CliError, NotSignedIn, ServerProblem, UsageProblem, from_response

DEFAULT_URL = "http://127.0.0.1:8080"

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""Per-request limits: a server that accepts nothing in 5 s is down, not slow."""


def normalize_url(url: str) -> str:
    """Return ``url`` as the key its session is stored under (no trailing slash)."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        raise UsageProblem(f"not a URL: {url!r}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageProblem(f"the server URL must be http:// or https://, not {url!r}")
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path.rstrip('/')}"


def transport_error(url: str, error: httpx.TransportError) -> ServerProblem:
    """Describe a network failure in one line."""
    if isinstance(error, httpx.ConnectError):
        return ServerProblem(f"cannot reach {url}: connection refused or host unreachable")
    if isinstance(error, httpx.TimeoutException):
        return ServerProblem(f"{url} did not answer in time")
    return ServerProblem(f"lost the connection to {url}: {error or type(error).__name__}")


class Api:
    """One server's API, as the signed-in user of the token store (if any)."""

    def __init__(self, url: str, store: TokenStore) -> None:
        self.url = url
        self.store = store
        self.http = httpx.Client(
            base_url=url, timeout=TIMEOUT, headers={"User-Agent": f"conveyor-cli/{__version__}"}
        )

    def close(self) -> None:
        self.http.close()

    # -- sending -------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, token: str | None, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = self.http.build_request(method, path, headers=headers, **kwargs)
        try:
            return self.http.send(request, stream=stream)
        except httpx.TransportError as error:
            raise transport_error(self.url, error) from None

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        """Send one request; return its JSON body (None for an empty one) or raise."""
        if auth:
            response = self.authorized(method, path, **kwargs)
        else:
            response = self._send(method, path, None, **kwargs)
        if not response.is_success:
            raise from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServerProblem(
                f"{self.url} answered {path} with something that is not JSON"
            ) from None

    def authorized(
        self, method: str, path: str, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send as the signed-in user; on a 401 for an expired access token, refresh the
        pair and send once more (the first request was refused, so nothing was done twice)."""
        session = self.session()
        response = self._send(method, path, session.access_token, stream=stream, **kwargs)
        if response.status_code == 401 and self._expired(response, session):
            response.close()
            session = self.refresh(session)
            response = self._send(method, path, session.access_token, stream=stream, **kwargs)
        return response

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Open a streamed, authorized response; raise for an error status."""
        response = self.authorized(method, path, stream=True, **kwargs)
        try:
            if not response.is_success:
                response.read()
                raise from_response(response)
            yield response
        finally:
            response.close()

    # -- sessions ------------------------------------------------------------------------

    def session(self) -> Session:
        session = self.store.get(self.url)
        if session is None:
            raise NotSignedIn(f"not signed in to {self.url}: run conveyor login --url {self.url}")
        return session

    @staticmethod
    def _expired(response: httpx.Response, session: Session) -> bool:
        """Whether a 401 came from an expired access token (not a revoked one): by the
        token's own ``exp``, or by the problem's detail when the clocks disagree."""
        if session.access_expired():
            return True
        response.read()
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and "expired" in str(body.get("detail", "")).lower()

    def refresh(self, stale: Session) -> Session:
        """Trade the refresh token for a new pair and store it; once for all processes."""
        with self.store.lock:
            current = self.store.get(self.url)
            if current is None:
                raise NotSignedIn(f"not signed in to {self.url}: run conveyor login")
            if current.access_token != stale.access_token and not current.access_expired():
                return current  # another conveyor process refreshed meanwhile
            response = self._send(
                "POST", "/api/auth/refresh", None, json={"refresh_token": current.refresh_token}
            )
            if response.status_code in (401, 422):
                self.store.remove(self.url)
                problem = from_response(response)
                raise NotSignedIn(
                    f"your session on {self.url} has ended ({problem.message}); "
                    "sign in again with conveyor login"
                )
            if not response.is_success:
                raise from_response(response)
            pair = response.json()
            fresh = replace(
                current, access_token=pair["access_token"], refresh_token=pair["refresh_token"]
            )
            self.store.put(fresh, make_current=False)
            return fresh

    def login(self, identifier: str, password: str) -> dict[str, Any]:
        """Sign in (by email when ``identifier`` has an @) and store the new session."""
        field = "email" if "@" in identifier else "username"
        pair = self.call(
            "POST", "/api/auth/login", auth=False, json={field: identifier, "password": password}
        )
        if not isinstance(pair, dict) or "access_token" not in pair:
            raise CliError(f"{self.url} answered the login without tokens")
        session = Session(self.url, identifier, pair["access_token"], pair["refresh_token"])
        self.store.put(session, make_current=True)
        return dict(pair)
