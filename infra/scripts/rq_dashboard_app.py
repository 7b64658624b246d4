"""rq-dashboard under ``/admin/rq``, for admins only.

Serve with ``gunicorn --pythonpath infra/scripts 'rq_dashboard_app:create_app()'``.

Browsers send no bearer token to a dashboard, so access uses HTTP Basic auth, and either
credential opens it:
- a Conveyor admin's own username (or email) and password: checked by logging in to
  user-service (``USER_SERVICE_URL``) and verifying the access token's ``role`` claim with
  the public key; the session is logged out again at once and the success is remembered
  for ``RQ_DASHBOARD_AUTH_CACHE`` seconds (default 60) so the dashboard's polling stays cheap;
- ``RQ_DASHBOARD_USERNAME`` / ``RQ_DASHBOARD_PASSWORD``, when both are set (an operator's
  break-glass account that works while user-service is down).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import jwt
import rq_dashboard
from flask import Flask, Response, request
from rq_dashboard.web import setup_rq_connection

from conveyor_core import settings

logger = logging.getLogger(__name__)

URL_PREFIX = "/admin/rq"
LOGIN_TIMEOUT = 5.0
"""Seconds to wait for user-service when checking credentials."""


def _challenge(status: int = 401, detail: str = "Sign in as an admin.") -> Response:
    body = json.dumps({"type": "about:blank", "title": "Unauthorized", "status": status,
                       "detail": detail})  # fmt: skip
    response = Response(body, status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Conveyor rq-dashboard"'
    return response


def _post(url: str, body: dict[str, Any] | None, token: str | None = None) -> dict[str, Any]:
    data = json.dumps(body or {}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=LOGIN_TIMEOUT) as response:
        raw = response.read()
    loaded = json.loads(raw) if raw else {}
    return loaded if isinstance(loaded, dict) else {}


class AdminCheck:
    """Decide whether Basic credentials belong to an admin, remembering recent answers."""

    def __init__(self, config: dict[str, Any], environ: dict[str, str]) -> None:
        self.user_service = environ.get("USER_SERVICE_URL", "").rstrip("/")
        self.static_user = environ.get("RQ_DASHBOARD_USERNAME", "")
        self.static_password = environ.get("RQ_DASHBOARD_PASSWORD", "")
        self.cache_seconds = float(environ.get("RQ_DASHBOARD_AUTH_CACHE", "60"))
        self.public_key = config.get("JWT_PUBLIC_KEY")
        self.issuer = config["JWT_ISSUER"]
        self.audience = config["JWT_AUDIENCE"]
        self._granted: dict[str, float] = {}
        self._lock = threading.Lock()

    def _static(self, username: str, password: str) -> bool:
        if not (self.static_user and self.static_password):
            return False
        same_user = hmac.compare_digest(username.encode(), self.static_user.encode())
        same_password = hmac.compare_digest(password.encode(), self.static_password.encode())
        return same_user and same_password

    def _conveyor_admin(self, username: str, password: str) -> bool:
        if not (self.user_service and self.public_key):
            return False
        field = "email" if "@" in username else "username"
        try:
            tokens = _post(
                f"{self.user_service}/api/auth/login", {field: username, "password": password}
            )
            access = str(tokens.get("access_token", ""))
            claims = jwt.decode(
                access,
                self.public_key,
                algorithms=[settings.JWT_ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
            )
        except (urllib.error.URLError, OSError, ValueError, jwt.InvalidTokenError) as error:
            logger.info("rq-dashboard: credentials refused: %s", error)
            return False
        try:  # the check needs no session: end it at once
            _post(f"{self.user_service}/api/auth/logout", None, token=access)
        except (urllib.error.URLError, OSError, ValueError):
            logger.warning("rq-dashboard: could not log the check's session out")
        return claims.get("role") == "admin"

    def allows(self, username: str, password: str) -> bool:
        """Return whether these credentials open the dashboard."""
        if self._static(username, password):
            return True
        key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            if self._granted.get(key, 0.0) > now:
                return True
        if not self._conveyor_admin(username, password):
            return False
        with self._lock:
            self._granted = {k: v for k, v in self._granted.items() if v > now}
            self._granted[key] = now + self.cache_seconds
        return True


def create_app(environ: dict[str, str] | None = None) -> Flask:
    """Build the dashboard app, reading settings from ``environ`` (default: os.environ)."""
    env = dict(os.environ if environ is None else environ)
    config = settings.load("rq-dashboard", env)
    app = Flask(__name__)
    app.config.from_object(rq_dashboard.default_settings)
    app.config["RQ_DASHBOARD_REDIS_URL"] = env.get("RQ_DASHBOARD_REDIS_URL") or config["REDIS_URL"]
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    setup_rq_connection(app)
    check = AdminCheck(config, env)

    @app.before_request
    def require_admin() -> Response | None:
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return _challenge()
        if not check.allows(auth.username, auth.password or ""):
            return _challenge(detail="These credentials are not an admin's.")
        return None

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        # Every response carries X-Request-ID, taken from the request (the gateway sets it).
        response.headers["X-Request-ID"] = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        return response

    return app
