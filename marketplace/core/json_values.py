"""Free-form JSON the users give us (event metadata, profile preferences):
what PostgreSQL's jsonb can store, within the bounds we set."""

import json

from django.utils.translation import gettext_lazy as _


def _storable_text(text: str) -> bool:
    # jsonb refuses \u0000, and a lone surrogate is not Unicode at all: valid
    # JSON escapes both, so they would reach the database and fail there.
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def json_value_problem(value, *, max_depth: int, max_chars: int) -> str | None:
    """Why `value` cannot be stored, as a reason code, or None when it can:
    INVALID_CHARACTERS, TOO_DEEP (objects and lists nested deeper than
    `max_depth`) or TOO_LARGE (over `max_chars` of JSON). Walks with a stack,
    not recursion, so no nesting can exhaust Python's."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > max_depth:
            return "TOO_DEEP"
        if isinstance(item, dict):
            if not all(isinstance(key, str) and _storable_text(key) for key in item):
                return "INVALID_CHARACTERS"
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and not _storable_text(item):
            return "INVALID_CHARACTERS"
    if len(json.dumps(value)) > max_chars:
        return "TOO_LARGE"
    return None


MESSAGES = {
    "INVALID_CHARACTERS": _("Null or unpaired surrogate characters are not allowed."),
    "TOO_DEEP": _("At most {max_depth} levels of nesting."),
    "TOO_LARGE": _("At most {max_chars} characters of JSON."),
}
