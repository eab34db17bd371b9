"""The envelope every API response travels in:

{"success": true, "data": ..., "meta": {"timestamp": ..., "pagination": {...}}}
{"success": false, "error": {"code", "message", "details"}, "meta": {"timestamp"}}
"""

import math

from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response

from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import bounded_count

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
    """`page` (from 1) and `limit` (1 to MAX_PAGE_SIZE; larger values are capped)."""

    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    limit = serializers.IntegerField(min_value=1, default=DEFAULT_PAGE_SIZE)


def page_params(request) -> tuple[int, int]:
    params = PageParams(data=request.query_params)
    if not params.is_valid():
        field, messages = next(iter(params.errors.items()))
        raise ValidationFailed(
            "The page or limit is not valid.",
            details={"field": field, "reason": "INVALID_PAGINATION", "fields": params.errors},
        )
    return params.validated_data["page"], min(params.validated_data["limit"], MAX_PAGE_SIZE)


def paginated(request, queryset, serializer_class, *, context: dict | None = None) -> Response:
    """One page of `queryset` in the envelope, with meta.pagination.

    Two queries whatever the page size: the count and the page itself (the
    selectors join what the serializers read). A page past the end is empty.
    Lists are paged through their first PAGINATION_MAX_RESULTS results
    (marketplace/core/pagination.py): past them `totalExact` is false, `total` is
    that bound, and a page beyond it answers 400 BEYOND_RESULT_WINDOW.
    """
    page, limit = page_params(request)
    total, exact = bounded_count(queryset)
    offset = (page - 1) * limit
    if not exact and offset >= total:
        raise ValidationFailed(
            f"Only the first {total:,} results can be paged through; "
            "narrow the search with its filters.",
            details={
                "field": "page",
                "reason": "BEYOND_RESULT_WINDOW",
                "maxPage": math.ceil(total / limit),
            },
        )
    rows = list(queryset[offset : min(offset + limit, total)]) if offset < total else []
    data = serializer_class(rows, many=True, context={"request": request, **(context or {})}).data
    pagination = {
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": math.ceil(total / limit) if total else 0,
        "totalExact": exact,
    }
    return Response(success_body(data, pagination=pagination))
