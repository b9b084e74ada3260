"""The API's JSON parser: REST framework's, reading with ``teams.json_input.Decoder``,
so JSON nested deeper than ``MAX_DEPTH`` is a 400 in the API's error shape instead of
a recursion (a 500). The body's size is bounded before it is read: REST framework
reads JSON through ``request.body``, which refuses a body larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (answered 413 by ``config.api``).

``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` names this parser; a view that lists its
own parsers lists these (a test walks every view to keep it so).
"""

from __future__ import annotations

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from teams.json_input import Decoder


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
            parse_constant = strict_constant if self.strict else None
            return json.loads(text, cls=Decoder, parse_constant=parse_constant)
        except ValueError as exc:  # malformed, too deep, or not in the named charset
            raise ParseError(f"JSON parse error - {exc}") from None
