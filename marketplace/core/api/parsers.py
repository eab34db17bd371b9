import io
import re
import sys
import threading

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Objects and lists nested deeper than this are refused (400 INVALID_INPUT),
# whatever the depth of the stack the body is parsed at.
MAX_NESTING = 1000
# A body with fewer brackets than this cannot come near Python's recursion
# limit: it is parsed without looking.
SHALLOW = 64
# Strings (their brackets do not nest), then brackets.
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
BRACKET = re.compile(rb"[\[\]{}]")

_deep_parse = threading.Lock()


def nesting_depth(body: bytes) -> int:
    """How deeply objects and lists nest in a JSON text (its strings aside)."""
    depth = deepest = 0
    for match in BRACKET.finditer(STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with one answer for deep nesting: up to MAX_NESTING
    levels parse, however deep in the stack the view runs (the recursion
    limit is raised for that parse alone, under a lock); deeper bodies (e.g.
    100,000 "[") are refused with 400, never a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if body.count(b"[") + body.count(b"{") < SHALLOW:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        depth = nesting_depth(body)
        if depth > MAX_NESTING:
            raise ParseError(_("The JSON body is nested too deeply."))
        with _deep_parse:
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, _stack_depth() + depth + 100))
            try:
                return super().parse(io.BytesIO(body), media_type, parser_context)
            except RecursionError as exc:
                raise ParseError(_("The JSON body is nested too deeply.")) from exc
            finally:
                sys.setrecursionlimit(limit)
