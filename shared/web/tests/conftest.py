"""A tiny app on the shared wiring, with one resource that exercises every error path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import abort

from conveyor_core import settings
from conveyor_web.api import Api, Blueprint
from conveyor_web.app import finish_app, make_app
from conveyor_web.auth import current_principal


class ThingSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=3))


def build_app(config: dict[str, Any]) -> Flask:
    app = make_app(__name__, settings.load("shared-test"), config)
    api = Api(app, docs_prefix="/docs/test")
    blp = Blueprint("things", __name__, url_prefix="/api/things")

    @blp.route("")
    class Things(MethodView):
        @blp.arguments(ThingSchema)
        def post(self, data: dict[str, Any]) -> dict[str, Any]:
            """Create a thing."""
            return data

    @blp.route("/me")
    class Me(MethodView):
        @jwt_required()
        def get(self) -> dict[str, Any]:
            """Who am I."""
            principal = current_principal()
            return {"id": principal.id, "role": principal.role, "tier": principal.tier}

    @blp.route("/conflict")
    class Conflict(MethodView):
        def get(self) -> None:
            """Always conflicts."""
            abort(409, message="Already there.")

    @blp.route("/boom")
    class Boom(MethodView):
        def get(self) -> None:
            """Always fails."""
            raise RuntimeError("secret internals")

    api.register_blueprint(blp)
    return finish_app(app)


@pytest.fixture
def app_factory(redis_url: str, jwt_keys: tuple[str, str]) -> Callable[..., Flask]:
    def factory(**overrides: Any) -> Flask:
        config = {
            "TESTING": False,  # let errors reach the handlers, as in production
            "REDIS_URL": redis_url,
            "JWT_PUBLIC_KEY": jwt_keys[1],
            "LOG_DIR": None,
        }
        config.update(overrides)
        return build_app(config)

    return factory


@pytest.fixture
def client(app_factory: Callable[..., Flask]) -> Any:
    return app_factory().test_client()
