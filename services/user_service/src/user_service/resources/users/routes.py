"""Routes of the users resource."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required

from conveyor_core.logs import user_id_var
from conveyor_web.api import Blueprint
from conveyor_web.auth import Principal, current_principal
from conveyor_web.errors import NotFound

from ... import accounts, caching
from ...models import MAX_ID
from .schemas import SignupSchema, UserListArgs, UserPage, UserSchema, UserUpdateSchema

blp = Blueprint("users", __name__, url_prefix="/api/users", description="Accounts.")


def visible(data: dict[str, Any], caller: Principal) -> dict[str, Any]:
    """Hide the email from everyone but the user and admins."""
    if caller.is_admin or caller.id == data["id"]:
        return data
    return {key: value for key, value in data.items() if key != "email"}


def cached_user(user_id: int) -> dict[str, Any]:
    data = caching.get_user(user_id)
    if data is None:
        raise NotFound("User not found.")
    return data


@blp.route("")
class Users(MethodView):
    @blp.arguments(SignupSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="Username or email already in use")
    def post(self, data: dict[str, Any]) -> Any:
        """Sign up"""
        user = accounts.create_user(data["username"], data["email"], data["password"])
        user_id_var.set(str(user.id))  # the request's access line names the new user
        location = url_for("users.User", user_id=user.id)
        return user.to_dict(), 201, {"Location": location}

    @jwt_required()
    @blp.login_required
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPage)
    def get(self, args: dict[str, Any]) -> Any:
        """List users (or only those named by ``ids``, for reading many in one request)"""
        caller = current_principal()
        envelope = caching.get_page(args["page"], args["per_page"], args["sort"], args.get("ids"))
        envelope["items"] = [visible(item, caller) for item in envelope["items"]]
        return envelope


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, UserSchema)
    def get(self) -> Any:
        """The signed-in user"""
        return cached_user(current_principal().id)


# Ids are 32-bit: a larger one is a plain 404 rather than a database driver error.
@blp.route(f"/<int(max={MAX_ID}):user_id>")
class User(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> Any:
        """One user"""
        return visible(cached_user(user_id), current_principal())

    @jwt_required()
    @blp.login_required
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Not your account, or an admin-only field")
    @blp.alt_response(409, description="Username or email already in use")
    def patch(self, changes: dict[str, Any], user_id: int) -> Any:
        """Change a user (the user or an admin)"""
        user = accounts.find_user(user_id)
        caller = current_principal()
        user = accounts.update_user(caller, user, changes, get_jwt().get("sid"))
        return user.to_dict()

    @jwt_required()
    @blp.login_required
    @blp.response(204)
    @blp.alt_response(403, description="Not your account")
    def delete(self, user_id: int) -> None:
        """Delete a user (the user or an admin)"""
        accounts.delete_user(current_principal(), accounts.find_user(user_id))
