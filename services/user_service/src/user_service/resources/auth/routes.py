"""Routes of the auth resource."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required, verify_jwt_in_request

from conveyor_web.api import Blueprint
from conveyor_web.errors import NotFound

from ... import accounts, tokens
from ...exceptions import InvalidCredentials
from .schemas import LoginSchema, TokenPairSchema

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Tokens.")


def refresh_token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Require a refresh token, as a bearer token or as the JSON body's ``refresh_token``.

    flask-jwt-extended takes any JSON body for an object; a body that is not one (a list, a
    string) has no ``refresh_token``, so only the header is looked at (else it is a 500)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        in_body = isinstance(request.get_json(silent=True), dict)
        verify_jwt_in_request(refresh=True, locations=["headers", "json"] if in_body else "headers")
        return view(*args, **kwargs)

    return wrapper


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong credentials")
    @blp.alt_response(429, description="Too many failed logins")
    def post(self, data: dict[str, Any]) -> Any:
        """Log in with username or email and password"""
        user = accounts.authenticate(
            data["password"],
            request.remote_addr or "unknown",
            username=data.get("username"),
            email=data.get("email"),
        )
        return tokens.issue_pair(user)


@blp.route("/refresh")
class Refresh(MethodView):
    @refresh_token_required
    @blp.doc(
        security=[{"bearerAuth": []}],
        description="Send the refresh token as a bearer token or as JSON `refresh_token`. "
        "It is spent; sending it again revokes the whole login session.",
    )
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Missing, invalid, spent or revoked refresh token")
    def post(self) -> Any:
        """Trade a refresh token for a new pair"""
        claims = get_jwt()
        tokens.spend_refresh(claims)
        try:
            user = accounts.find_user(int(claims["sub"]))
        except NotFound:
            raise InvalidCredentials("Unknown user.") from None
        return tokens.issue_pair(user, sid=claims.get("sid"))


@blp.route("/logout")
class Logout(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(204)
    def post(self) -> None:
        """Revoke the current login session's tokens"""
        tokens.end_session(get_jwt())
