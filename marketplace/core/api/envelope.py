"""The envelope every API response travels in:

{"success": true, "data": ..., "meta": {"timestamp": ..., "pagination": {...}}}
{"success": false, "error": {"code", "message", "details"}, "meta": {"timestamp"}}
"""

import math

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.response import Response

from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import (
    CursorInvalid,
    bounded_count,
    cursor_for,
    keyset_after,
    keyset_ordered,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def timestamp() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


def success_body(data, *, pagination: dict | None = None) -> dict:
    meta = {"timestamp": timestamp()}
    if pagination is not None:
        meta["pagination"] = pagination
    return {"success": True, "data": data, "meta": meta}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {
        "success": False,
        "error": {"code": code, "message": message, "details": details or {}},
        "meta": {"timestamp": timestamp()},
    }


def ok(data, *, status: int = 200, headers: dict | None = None) -> Response:
    return Response(success_body(data), status=status, headers=headers)


class PageParams(serializers.Serializer):
    """`page` (from 1) and `limit` (1 to MAX_PAGE_SIZE; larger values are capped);
    or, instead of `page`, the `cursor` of meta.pagination.nextCursor."""

    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    limit = serializers.IntegerField(min_value=1, default=DEFAULT_PAGE_SIZE)
    cursor = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def page_params(request) -> tuple[int, int]:
    page, limit, _ = _page_params(request)
    return page, limit


def _page_params(request) -> tuple[int, int, str]:
    params = PageParams(data=request.query_params)
    if not params.is_valid():
        field, messages = next(iter(params.errors.items()))
        raise ValidationFailed(
            _("The page, limit or cursor is not valid."),
            details={"field": field, "reason": "INVALID_PAGINATION", "fields": params.errors},
        )
    data = params.validated_data
    return data["page"], min(data["limit"], MAX_PAGE_SIZE), data["cursor"].strip()


# From this offset on, a page is found by its rows' ids first (read from an index
# alone), then only those rows are read with their joins: OFFSET would join every
# row it skips (bench/results/: 280 ms for the 10,000th listing, 6 ms this way).
DEFERRED_JOIN_OFFSET = 1000


def _rows_at(queryset, offset: int, stop: int) -> list:
    if offset < DEFERRED_JOIN_OFFSET:
        return list(queryset[offset:stop])
    ids = list(queryset.values_list("pk", flat=True)[offset:stop])
    by_id = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _page_after(queryset, cursor: str, limit: int) -> tuple[list, bool]:
    """The `limit` rows after the cursor's, and whether more follow."""
    try:
        after = keyset_after(queryset, cursor)
    except CursorInvalid as exc:
        raise ValidationFailed(
            _("The cursor is not valid: ask the first page again and follow its nextCursor."),
            details={"field": "cursor", "reason": exc.reason},
        ) from exc
    rows = list(after[: limit + 1])
    return rows[:limit], len(rows) > limit


def paginated(request, queryset, serializer_class, *, context: dict | None = None) -> Response:
    """One page of `queryset` in the envelope, with meta.pagination.

    Two queries whatever the page size: the count and the page itself (the
    selectors join what the serializers read). A page past the end is empty.
    Lists are paged through their first PAGINATION_MAX_RESULTS results
    (marketplace/core/pagination.py): past them `totalExact` is false, `total` is
    that bound, and a page beyond it answers 400 BEYOND_RESULT_WINDOW.

    Keyset pages: meta.pagination.nextCursor names the page's last row; asked
    with ?cursor=, the next page starts right after that row, whatever its depth
    (past the window too), at the cost of a first page; `page` is then null. An
    invalid cursor answers 400 VALIDATION_ERROR {field: "cursor", reason}.
    """
    page, limit, cursor = _page_params(request)
    queryset = keyset_ordered(queryset)
    total, exact = bounded_count(queryset)
    if cursor:
        rows, more = _page_after(queryset, cursor, limit)
        page = None
    else:
        offset = (page - 1) * limit
        if not exact and offset >= total:
            raise ValidationFailed(
                _(
                    "Only the first %(total)s results can be paged through; "
                    "narrow the search with its filters, or follow nextCursor."
                )
                % {"total": f"{total:,}"},
                details={
                    "field": "page",
                    "reason": "BEYOND_RESULT_WINDOW",
                    "maxPage": math.ceil(total / limit),
                },
            )
        rows = _rows_at(queryset, offset, min(offset + limit, total)) if offset < total else []
        more = offset + len(rows) < total or not exact
    data = serializer_class(rows, many=True, context={"request": request, **(context or {})}).data
    pagination = {
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": math.ceil(total / limit) if total else 0,
        "totalExact": exact,
        "nextCursor": cursor_for(queryset, rows[-1]) if rows and more else None,
    }
    return Response(success_body(data, pagination=pagination))
