"""The API's JSON parser answers deep nesting the same way at any stack depth."""

import io

import pytest
from rest_framework.exceptions import ParseError

from marketplace.core.api.parsers import MAX_NESTING, SafeJSONParser, nesting_depth


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def parse_at_stack_depth(body: bytes, frames: int):
    """Parse `body` with `frames` more frames on the stack, as a view behind
    many middleware layers would."""
    if frames:
        return parse_at_stack_depth(body, frames - 1)
    return SafeJSONParser().parse(io.BytesIO(body))


@pytest.mark.parametrize("frames", [0, 300, 600])
def test_the_deepest_body_allowed_parses_however_deep_the_view_runs(frames):
    value = parse_at_stack_depth(nested(MAX_NESTING), frames)

    depth = 0
    while value is not None:
        depth, value = depth + 1, (value[0] if value else None)
    assert depth == MAX_NESTING


@pytest.mark.parametrize("frames", [0, 600])
def test_a_body_nested_deeper_is_refused(frames):
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_at_stack_depth(nested(MAX_NESTING + 1), frames)


def test_brackets_inside_strings_do_not_count():
    assert nesting_depth(b'{"a": "[[[[{{{{\\"]]]", "b": [1, {"c": 2}]}') == 3
