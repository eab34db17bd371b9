import pytest

from marketplace.core.json_values import json_value_problem


def _nested(depth):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": "fine", "b": [1, 2.5, None, True]}, None),
        (_nested(10), None),
        (_nested(11), "TOO_DEEP"),
        ([[[[[[[[[[[]]]]]]]]]]], "TOO_DEEP"),
        (_nested(100_000), "TOO_DEEP"),  # no recursion: no RecursionError
        ({"a": "x\x00y"}, "INVALID_CHARACTERS"),
        ({"a\x00": 1}, "INVALID_CHARACTERS"),
        ({"a": ["\ud800"]}, "INVALID_CHARACTERS"),
        ({"a": "x" * 200}, "TOO_LARGE"),
    ],
)
def test_json_value_problem_names_what_the_database_or_the_bounds_refuse(value, problem):
    assert json_value_problem(value, max_depth=10, max_chars=100) == problem
