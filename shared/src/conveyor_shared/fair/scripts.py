"""The Lua scripts behind fair dispatch, registered lazily per connection."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from redis.commands.core import Script

PREFIX = "conveyor:fair:"
"""Prefix of every key the dispatcher owns."""


class LuaScript:
    """A script file run with EVALSHA (falling back to EVAL), on a client or a pipeline."""

    def __init__(self, name: str) -> None:
        folder = files(__package__) / "lua"
        # Each script is sent whole, so the shared helpers go in front of every one.
        source = (folder / "lib.lua").read_bytes() + (folder / f"{name}.lua").read_bytes()
        # Bytes need no client to encode them, so one Script serves every connection;
        # redis-py handles NOSCRIPT on clients and preloads scripts on pipelines.
        self.script = Script(None, source)  # type: ignore[arg-type]

    def __call__(self, keys: list[str], args: list[Any], client: Any) -> Any:
        return self.script(keys=keys, args=args, client=client)


ACTIVATE = LuaScript("activate")
PICK = LuaScript("pick")
FINISH = LuaScript("finish")
POSITION = LuaScript("position")
TIER = LuaScript("tier")
