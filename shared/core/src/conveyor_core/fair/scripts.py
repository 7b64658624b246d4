"""The Lua scripts behind fair dispatch, registered lazily per connection."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import NoScriptError

PREFIX = "conveyor:fair:"
"""Prefix of every key the dispatcher owns."""


_BY_SHA: dict[str, LuaScript] = {}


class LuaScript:
    """A script file run with EVALSHA (falling back to EVAL), on a client or a pipeline."""

    def __init__(self, name: str) -> None:
        folder = files(__package__) / "lua"
        # Each script is sent whole, so the shared helpers go in front of every one.
        source = (folder / "lib.lua").read_bytes() + (folder / f"{name}.lua").read_bytes()
        # Bytes need no client to encode them, so one Script serves every connection;
        # redis-py handles NOSCRIPT on clients and preloads scripts on pipelines.
        self.script = Script(None, source)  # type: ignore[arg-type]
        _BY_SHA[self.script.sha] = self

    def __call__(self, keys: list[str], args: list[Any], client: Any) -> Any:
        return self.script(keys=keys, args=args, client=client)

    def queue(self, pipeline: Any, keys: list[str], args: list[Any]) -> None:
        """Queue a bare ``EVALSHA`` on ``pipeline``: no ``SCRIPT EXISTS`` round trip first.

        If Redis lost its scripts (a restart), that command's reply is a ``NoScriptError``
        and nothing ran: the caller runs the script again with :meth:`__call__`."""
        pipeline.evalsha(self.script.sha, len(keys), *keys, *args)


def execute(connection: Any, pipeline: Pipeline, raise_on_error: bool = True) -> list[Any]:
    """Execute ``pipeline``, which may hold bare ``EVALSHA`` calls (:meth:`LuaScript.queue`).

    A script Redis had lost (a restart empties its script cache) did not run: it is loaded
    and run now, after the rest of the pipeline (every script queued this way is safe to run
    late: it activates a user, records a tier, settles a finished job's charge or picks a
    worker's next job, whose reply is then this late run's). Any other
    error is raised as ``execute`` raises it, or with ``raise_on_error=False`` left in the
    replies."""
    sent = [args for args, _options in pipeline.command_stack]
    replies: list[Any] = pipeline.execute(raise_on_error=False)
    for index, (args, reply) in enumerate(zip(sent, replies, strict=True)):
        if isinstance(reply, NoScriptError) and args[0] == "EVALSHA" and args[1] in _BY_SHA:
            numkeys = int(args[2])
            keys, script_args = list(args[3 : 3 + numkeys]), list(args[3 + numkeys :])
            replies[index] = _BY_SHA[args[1]](keys, script_args, connection)
    for reply in replies:
        if raise_on_error and isinstance(reply, Exception):
            raise reply
    return replies


ACTIVATE = LuaScript("activate")
PICK = LuaScript("pick")
FINISH = LuaScript("finish")
FORGET = LuaScript("forget")
POSITION = LuaScript("position")
TIER = LuaScript("tier")
