"""JSON with a bounded nesting depth, for every body and frame a client sends.

Python's json module recurses once per nesting level: a body nested about a thousand deep
raises RecursionError (a 500 on the API, a crashed consumer on a socket), and one just under
the limit crashes whatever walks it next (serializers, json.dumps, the masking of stored
data). Nothing the product accepts nests more than a few levels, so the raw text is measured
before it is parsed, in one pass and without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

# Deeper than any request or frame the product defines (the deepest, a ui.event's `data`, is
# four or five levels), far below the interpreter's recursion limit.
DEFAULT_MAX_DEPTH = 32

# A string (escapes included; an unterminated one runs to the end so the scan stays linear) or
# one bracket. Brackets inside strings are text, not nesting.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)|[\[\]{}]', re.DOTALL)
_OPENING = frozenset("[{")


class JSONTooDeep(ValueError):
    """The text nests deeper than allowed; nothing was parsed.

    The message is English, like the socket protocols' other error messages; the REST API
    words it in the request's language (bank_ai.api_parsers).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels is not accepted.")


def max_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def check_depth(text: str, limit: int | None = None) -> None:
    """Raise JSONTooDeep when `text` opens more than `limit` nested arrays/objects."""
    limit = max_depth() if limit is None else limit
    if text.count("[") + text.count("{") <= limit:
        return  # the common case: too few brackets to nest that deep at all
    depth = 0
    for token in _TOKEN.finditer(text):
        symbol = token.group()
        if symbol in _OPENING:
            depth += 1
            if depth > limit:
                raise JSONTooDeep(limit)
        elif len(symbol) == 1 and symbol != '"':
            depth -= 1


def loads(text: str | bytes, *, limit: int | None = None, **options: Any) -> Any:
    """json.loads that refuses deep nesting with JSONTooDeep (a ValueError) before parsing."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    check_depth(text, limit)
    return json.loads(text, **options)
