"""JSON request bodies, decoded strictly: what ``json.loads`` lets through that no service
can use is invalid JSON too (a 400 like any undecodable body, not a 500 further on)."""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """Decode a JSON body like ``json.loads``, but refuse with ``JSONDecodeError`` (or, for
    bytes that are not UTF-8, ``UnicodeDecodeError``; both are ``ValueError``s):

    - nesting too deep to decode, where ``json.loads`` raises ``RecursionError``;
    - a lone surrogate (``"\\ud800"``): valid JSON text, but no UTF-8 string can hold it, so
      argon2, PyJWT and the database drivers all fail on it.
    """
    if isinstance(text, bytes):  # json.loads would let surrogates through ("surrogatepass")
        text = text.decode("utf-8")
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError("Nested too deeply", text, 0) from None
    if _SURROGATE_ESCAPE.search(text) is not None:  # a pair (an emoji) is fine: look closer
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise json.JSONDecodeError("A lone surrogate in a string", text, 0) from None
    return value
