"""Bounded pagination, shared by the site's lists and the API's.

A page deep in a list costs as much as the rows its OFFSET skips, and an exact
COUNT of half a million joined listings costs about 200 ms (bench/results/).
So a list is paged through its first PAGINATION_MAX_RESULTS results (10,000 by
default): the count stops one row past them, and pages beyond are not served.
Filters reach any result: a search narrowed by event, date or price is paged in
full. Partners who need every listing walk the events and ask per event.
"""

from django.conf import settings
from django.core.paginator import Paginator
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
