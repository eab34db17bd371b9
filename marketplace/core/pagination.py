"""Bounded pagination, shared by the site's lists and the API's.

A page deep in a list costs as much as the rows its OFFSET skips, and an exact
COUNT of half a million joined listings costs about 200 ms (bench/results/).
So a list is paged through its first PAGINATION_MAX_RESULTS results (10,000 by
default): the count stops one row past them, and pages beyond are not served.
Filters reach any result: a search narrowed by event, date or price is paged in
full. Partners who need every listing walk the events and ask per event.
"""

import base64
import binascii
import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.utils.functional import cached_property


def max_results() -> int:
    return settings.PAGINATION_MAX_RESULTS


def bounded_count(queryset) -> tuple[int, bool]:
    """(count, exact): the number of rows of `queryset`, counted no further than
    max_results() + 1. When `exact` is False there are more than `count`
    (= max_results()) rows, and only the first `count` are paged."""
    cap = max_results()
    # COUNT(*) over a LIMIT subquery: PostgreSQL stops reading at cap + 1 rows.
    # Ordering and annotations (listing counts, lowest prices) change nothing in
    # a count, so only the ids are selected.
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted <= cap


class BoundedPaginator(Paginator):
    """Django's Paginator over the first max_results() rows; `exact` says whether
    that is all of them. A page number past them shows the last page within
    (get_page), as past the end of any list. `count`, when the caller already
    knows it (an annotation read with the parent row), saves the count query."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def _bounded(self) -> tuple[int, bool]:
        if self._known_count is not None:
            return min(self._known_count, max_results()), self._known_count <= max_results()
        return bounded_count(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._bounded[0]

    @property
    def exact(self) -> bool:
        return self._bounded[1]


# --- Keyset pages: the page after a given row --------------------------------------
#
# OFFSET reads and throws away every row before the page; a cursor names the last
# row served (its values of the list's ORDER BY columns) and the next page starts
# right after it: WHERE (ordering columns) > (its values), which an index in that
# order answers by reading only the page's rows, however deep.


class CursorInvalid(ValueError):
    """The cursor was not made by this list (edited, cut short, or from another
    ordering): its `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _ordering(queryset) -> list[tuple[str, bool]] | None:
    """[(field path, descending)] of the list's ORDER BY, ending with the primary
    key so that no two rows tie; None when it orders by an expression (no cursor)."""
    if not queryset.ordered:
        return None
    names = list(queryset.query.order_by or queryset.model._meta.ordering)
    ordering = []
    for name in names:
        if not isinstance(name, str) or name == "?":
            return None
        descending = name.startswith("-")
        path = "pk" if name.lstrip("-") == "id" else name.lstrip("-")
        try:
            field = _model_field(queryset.model, path)
        except (FieldDoesNotExist, AttributeError):
            return None  # an annotation
        column = path.split("__")[-1]
        if field.is_relation and column not in ("pk", field.attname):
            return None  # ordered by the related model's own ordering
        ordering.append((path, descending))
    if not any(path == "pk" for path, _ in ordering):
        ordering.append(("pk", False))
    return ordering


def _model_field(model, path: str):
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def _field(model, path: str):
    field = _model_field(model, path)
    return field.target_field if field.is_relation else field


def _value_of(row, path: str):
    value = row
    for name in path.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    # A primary key that is a relation (a profile's user): the ordering reads its key.
    return value.pk if hasattr(value, "_meta") else value


def _plain(value):
    """A column's value as JSON keeps it exactly (full microseconds, all decimals)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date too
        return value.isoformat()
    raise TypeError(f"No cursor for a {type(value).__name__}")


def _signature(ordering) -> str:
    text = ",".join(f"{'-' if descending else ''}{path}" for path, descending in ordering)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def keyset_ordered(queryset):
    """`queryset` ordered as it was, with the primary key last: rows tied on the
    ordering come in one fixed order, so pages by number and by cursor agree and
    none is skipped. Unchanged when it orders by an expression."""
    ordering = _ordering(queryset)
    names = list(queryset.query.order_by or queryset.model._meta.ordering)
    if ordering is None or len(ordering) == len(names):
        return queryset
    return queryset.order_by(*names, "pk")


def cursor_for(queryset, row) -> str | None:
    """The opaque cursor of `row` in `queryset`'s order: the page after it starts
    right after `row`. None when the list orders by an expression."""
    ordering = _ordering(queryset)
    if ordering is None:
        return None
    document = {
        "o": _signature(ordering),
        "v": [_plain(_value_of(row, path)) for path, _ in ordering],
    }
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(queryset, cursor: str) -> tuple[list, list]:
    ordering = _ordering(queryset)
    if ordering is None:
        raise CursorInvalid("CURSOR_NOT_SUPPORTED")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
        signature, values = document["o"], document["v"]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise CursorInvalid("MALFORMED") from exc
    if signature != _signature(ordering) or not isinstance(values, list):
        raise CursorInvalid("ORDERING_CHANGED")
    if len(values) != len(ordering):
        raise CursorInvalid("MALFORMED")
    typed = []
    for (path, _), value in zip(ordering, values, strict=True):
        field = _field(queryset.model, path)
        if value is None:
            if not field.null:
                raise CursorInvalid("MALFORMED")
            typed.append(None)
            continue
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise CursorInvalid("MALFORMED")
        try:
            typed.append(field.to_python(value))
        except (ValidationError, TypeError, ValueError) as exc:
            raise CursorInvalid("MALFORMED") from exc
    return ordering, typed


def _beyond(path: str, descending: bool, value, *, nullable: bool, or_equal=False) -> Q | None:
    """Rows whose `path` comes after `value` in the list's order (or level with it,
    `or_equal`); None for none. NULLs sort as the database sorts them (largest on
    PostgreSQL, smallest on SQLite)."""
    nulls_largest = connection.features.nulls_order_largest
    greater = not descending
    if value is None:
        # Past a NULL come the non-NULL values only when NULL sorts first here.
        later = Q(**{f"{path}__isnull": False}) if greater != nulls_largest else None
        if not or_equal:
            return later
        return _equal(path, None) | later if later is not None else _equal(path, None)
    lookup = ("gt" if greater else "lt") + ("e" if or_equal else "")
    condition = Q(**{f"{path}__{lookup}": value})
    if nullable and greater == nulls_largest:
        condition |= Q(**{f"{path}__isnull": True})
    return condition


def _equal(path: str, value) -> Q:
    return Q(**{f"{path}__isnull": True}) if value is None else Q(**{path: value})


def keyset_after(queryset, cursor: str):
    """`queryset` from the row after the one `cursor` names, in the same order
    (the primary key breaks ties). Raises CursorInvalid."""
    ordering, values = _decode(queryset, cursor)
    nullable = [_field(queryset.model, path).null for path, _ in ordering]
    # (a, b, c) after (x, y, z): a beyond x, or a = x and (b beyond y, or b = y and
    # c beyond z): built from the last column outwards.
    condition = None
    for (path, descending), value, can_be_null in reversed(
        list(zip(ordering, values, nullable, strict=True))
    ):
        beyond = _beyond(path, descending, value, nullable=can_be_null)
        tail = _equal(path, value) & condition if condition is not None else None
        parts = [part for part in (beyond, tail) if part is not None]
        condition = (parts[0] | parts[1]) if len(parts) == 2 else (parts[0] if parts else None)
    if condition is None:
        return queryset.none()
    (path, descending), value = ordering[0], values[0]
    # The first column's bound on its own as well: an index in the list's order
    # starts at the cursor instead of testing every row before it.
    start = _beyond(path, descending, value, nullable=nullable[0], or_equal=True)
    return queryset.filter(start).filter(condition)
