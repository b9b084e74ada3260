"""JSON sent to Kith, read without recursion: nesting past ``MAX_DEPTH`` is malformed.

Python's json parser recurses once per nested array or object. Past the interpreter's
recursion limit (about 1,000 levels) it raises ``RecursionError``, which no caller
expects (a 500, and a traceback in the log, for a few kilobytes of ``[[[[``); and data
nested just below that limit fails later, in whatever walks it (storing a JSON field,
rendering it). Nothing Kith is sent nests more than a few levels.

The standard library has no depth option, and no well-kept parser has one that helps
(orjson refuses past a fixed 1,024 levels, above the recursion limit of what walks the
result afterwards), so the depth is counted here, by hand, before parsing: strings are
blanked out first (a bracket inside one does not nest), then the brackets that remain
are counted. Both passes run in the regular-expression engine and ``itertools``, so a
body of the largest allowed size is counted in a fraction of a second.

Every door that parses a client's JSON uses ``Decoder`` (``json.loads(text,
cls=Decoder)``): the API's parser (``config.parsers``), JSON fields sent as text in a
form, and the live socket.
"""

from __future__ import annotations

import itertools
import json
import re

MAX_DEPTH = 32

# A JSON string: quotes around anything but a quote or backslash, or an escape.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """JSON nested deeper than ``MAX_DEPTH`` (a ValueError, as any malformed JSON)."""


def depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects (0 for a bare value). Exact for
    valid JSON; for malformed text it may count too many, never too few."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


class Decoder(json.JSONDecoder):
    """``json.JSONDecoder`` that refuses nesting past ``MAX_DEPTH`` before parsing."""

    def decode(self, s, *args, **kwargs):
        if depth(s) > MAX_DEPTH:
            raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        return super().decode(s, *args, **kwargs)
