"""Routes of ``/api/events``: the caller's live job events, and stream tokens for browsers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required, verify_jwt_in_request

from conveyor_core import streams
from conveyor_web.api import Blueprint
from conveyor_web.auth import is_revoked
from conveyor_web.errors import Unprocessable
from conveyor_web.redis_client import get_redis
from conveyor_web.revocation import RevocationsUnknown

from ...exceptions import InvalidStreamToken, TooManyStreams
from ...extensions import db
from . import settings, snapshot, tokens
from .gate import get_gate
from .schemas import StreamArgsSchema, StreamTokenSchema
from .stream import EventStream

blp = Blueprint("events", __name__, url_prefix="/api/events", description="Live job events")
blp.record_once(lambda state: settings.init_app(state.app))

LAST_EVENT_ID = "Last-Event-ID"
"""Header a reconnecting ``EventSource`` sends with the id of the last event it received."""

STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    # Tells nginx not to buffer this response (the gateway also turns buffering off).
    "X-Accel-Buffering": "no",
}
"""Headers of every event stream."""


def _claims(token: str | None) -> dict[str, Any]:
    """Return the caller's claims, from a stream token if one is given, else the bearer token."""
    if token is None:
        verify_jwt_in_request()  # answers 401 itself when the header is missing or bad
        return dict(get_jwt())
    claims = tokens.redeem(get_redis(), token)
    if claims is None or is_revoked(claims):
        raise InvalidStreamToken("Invalid or expired stream token.")
    return claims


def _cursor(user_id: int, query_id: str | None) -> str:
    """Return the id the stream starts after: the client's last event, or the newest now."""
    raw = request.headers.get(LAST_EVENT_ID) or query_id
    latest = streams.latest_id(get_redis(), user_id)
    if not raw:
        return latest
    wanted = streams.parse_id(raw.strip())
    if wanted is None:
        raise Unprocessable(
            "The request is not valid.", errors={LAST_EVENT_ID: ["Not an event id."]}
        )
    # An id beyond the newest (Redis was flushed, or a made-up id) would hold events back.
    return min(raw.strip(), latest, key=lambda value: streams.parse_id(value) or (0, 0))


def _revocation_check(app: Flask, claims: dict[str, Any]) -> Any:
    def still_allowed() -> bool:
        with app.app_context():
            try:
                return not is_revoked(claims)
            except RevocationsUnknown:  # Redis lost its data: end it; a reconnect waits
                return False

    return still_allowed


@blp.route("")
class Events(MethodView):
    @blp.arguments(StreamArgsSchema, location="query")
    @blp.response(200, content_type="text/event-stream", description="An event stream")
    @blp.alt_response(401, description="Missing, invalid or expired token")
    @blp.alt_response(422, description="Bad Last-Event-ID")
    @blp.alt_response(503, description="This process has too many open streams")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, args: dict[str, Any]) -> Response:
        """Stream the caller's own job events, admins included (SSE; bearer or ?token= auth)"""
        claims = _claims(args.get("token"))
        # Only ever the caller's own stream, whatever the role: SPEC 4 says "to the signed-in
        # user only"; admins watch everyone through /api/queue and rq-dashboard instead.
        user_id = int(claims["sub"])
        cursor = _cursor(user_id, args.get("last_event_id"))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        stream_settings = settings.StreamSettings.of(app.config)
        engine = db.engine
        gate = get_gate()
        if not gate.enter():
            raise TooManyStreams("Too many open event streams; try again shortly.", retry_after=5)
        stream = EventStream(
            connection=gate.connection,
            user_id=user_id,
            cursor=cursor,
            snapshot=lambda: snapshot.take(
                engine, gate.connection, user_id, stream_settings.snapshot_jobs
            ),
            still_allowed=_revocation_check(app, claims),
            settings=stream_settings,
        )
        response = Response(stream, mimetype="text/event-stream", headers=STREAM_HEADERS)
        response.call_on_close(gate.leave)  # the server closes every response it sent
        return response


@blp.route("/token")
class StreamToken(MethodView):
    @jwt_required()
    @blp.login_required
    @blp.response(200, StreamTokenSchema)
    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Mint a one-minute token for GET /api/events?token= (EventSource sends no headers)"""
        ttl = float(current_app.config["EVENTS_TOKEN_TTL"])
        token = tokens.mint(get_redis(), dict(get_jwt()), ttl)
        body = {"token": token, "token_type": "stream", "expires_in": int(ttl)}
        return body, 200, {"Cache-Control": "no-store"}
