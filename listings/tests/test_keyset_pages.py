"""Deep pages by cursor: meta.pagination.nextCursor names a page's last row and
?cursor= answers the page right after it, in the same order, however deep.
Walking the cursors visits every result exactly once, ties and all; a cursor the
list did not give is refused with the envelope's 400 and changes nothing."""

import base64
import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.tests.factories import EventFactory
from listings.models import Listing
from listings.selectors import listing_search
from listings.tests.factories import ListingFactory
from marketplace.core.api import envelope
from marketplace.testing import error_of, in_days, ok_body

pytestmark = pytest.mark.django_db

LISTINGS = "/api/v1/listings"
EVENTS = "/api/v1/events"


@pytest.fixture
def listings():
    """13 listings over 4 events on 3 days, with many ties in price and date."""
    events = [
        EventFactory(event_date=in_days(10), event_time=datetime.time(20, 0)),
        EventFactory(event_date=in_days(10), event_time=datetime.time(14, 0)),
        EventFactory(event_date=in_days(11), event_time=datetime.time(20, 0)),
        EventFactory(event_date=in_days(12), event_time=datetime.time(20, 0), city="Cork"),
    ]
    prices = ["45.00", "50.00", "50.00", "55.00"]
    return [
        ListingFactory(ticket__event=events[n % 4], price=Decimal(prices[(n // 4) % 4]))
        for n in range(13)
    ]


def _walk(api, url: str, params: dict, *, limit: int) -> tuple[list[int], list[dict]]:
    """Every page from the first, following nextCursor: the ids in order, the metas."""
    ids, metas = [], []
    body = ok_body(api.get(url, {**params, "limit": limit}))
    while True:
        ids += [row["id"] for row in body["data"]]
        metas.append(body["meta"]["pagination"])
        cursor = body["meta"]["pagination"]["nextCursor"]
        if cursor is None:
            return ids, metas
        body = ok_body(api.get(url, {**params, "limit": limit, "cursor": cursor}))


@pytest.mark.parametrize("ordering", ["price", "-price", "date", "-date"])
@pytest.mark.parametrize("limit", [1, 2, 5, 13, 20])
def test_cursor_pages_cover_every_listing_once_in_order(api, listings, ordering, limit):
    expected = list(listing_search(ordering=ordering).values_list("pk", flat=True))

    ids, metas = _walk(api, LISTINGS, {"ordering": ordering}, limit=limit)

    assert ids == expected
    assert len(expected) == 13
    assert metas[0]["page"] == 1
    assert all(meta["page"] is None for meta in metas[1:])
    assert all(meta["total"] == 13 and meta["totalExact"] for meta in metas)
    assert len(metas) == -(-13 // limit)


def test_cursor_pages_keep_the_filters(api, listings):
    params = {"city": "cork", "ordering": "price"}
    expected = list(listing_search(city="cork").values_list("pk", flat=True))

    ids, _ = _walk(api, LISTINGS, params, limit=2)

    assert ids == expected
    assert {Listing.objects.get(pk=pk).event_city for pk in ids} == {"Cork"}


def test_a_cursor_continues_from_a_numbered_page(api, listings):
    expected = list(listing_search().values_list("pk", flat=True))
    second = ok_body(api.get(LISTINGS, {"limit": 4, "page": 2}))

    after = ok_body(
        api.get(LISTINGS, {"limit": 4, "cursor": second["meta"]["pagination"]["nextCursor"]})
    )

    assert [row["id"] for row in second["data"]] == expected[4:8]
    assert [row["id"] for row in after["data"]] == expected[8:12]


def test_a_listing_sold_between_pages_neither_repeats_nor_skips_the_others(api, listings):
    expected = list(listing_search().values_list("pk", flat=True))
    first = ok_body(api.get(LISTINGS, {"limit": 5}))
    # The first page's last listing and the next one leave the search.
    Listing.objects.filter(pk__in=expected[4:6]).update(status=Listing.Status.SOLD)

    after = ok_body(
        api.get(LISTINGS, {"limit": 5, "cursor": first["meta"]["pagination"]["nextCursor"]})
    )

    assert [row["id"] for row in after["data"]] == expected[6:11]


def test_event_pages_by_cursor_order_events_without_a_time_too(api):
    # event_time may be NULL: the cursor follows the database's order of NULLs.
    day = in_days(5)
    for time in [None, datetime.time(9, 0), None, datetime.time(21, 0), datetime.time(9, 0)]:
        EventFactory(event_date=day, event_time=time)
    EventFactory(event_date=in_days(6), event_time=None)
    expected = [row["id"] for row in ok_body(api.get(EVENTS, {"limit": 100}))["data"]]

    ids, _ = _walk(api, EVENTS, {}, limit=1)

    assert ids == expected
    assert len(ids) == 6


def test_deep_numbered_pages_find_their_rows_by_id_first_with_the_same_rows(
    api, listings, monkeypatch
):
    shallow = [ok_body(api.get(LISTINGS, {"limit": 3, "page": page})) for page in (3, 4)]
    monkeypatch.setattr(envelope, "DEFERRED_JOIN_OFFSET", 1)
    cache.clear()  # the pages are built again, not served from the search cache

    with CaptureQueriesContext(connection) as queries:
        deep = [ok_body(api.get(LISTINGS, {"limit": 3, "page": page})) for page in (3, 4)]

    # The ids first (the listings table alone), then those rows with their joins.
    assert any(
        'FROM "listings" WHERE' in query["sql"] and "JOIN" not in query["sql"]
        for query in queries.captured_queries
    )

    assert [body["data"] for body in deep] == [body["data"] for body in shallow]


def _token(document) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def _cursor_of_first_page(api, **params) -> str:
    return ok_body(api.get(LISTINGS, {"limit": 2, **params}))["meta"]["pagination"]["nextCursor"]


@pytest.mark.parametrize(
    ("make_cursor", "reason"),
    [
        (lambda good: "not a cursor!", "MALFORMED"),
        (lambda good: "e30", "MALFORMED"),  # {}
        (lambda good: _token([1, 2]), "MALFORMED"),
        (lambda good: good[:-6], "MALFORMED"),
        (lambda good: _token({**_decoded(good), "v": _decoded(good)["v"][:-1]}), "MALFORMED"),
        (
            lambda good: _token({**_decoded(good), "v": ["cheap", *_decoded(good)["v"][1:]]}),
            "MALFORMED",
        ),
        (
            lambda good: _token({**_decoded(good), "v": [None, *_decoded(good)["v"][1:]]}),
            "MALFORMED",
        ),
        (lambda good: _token({**_decoded(good), "v": [{}, *_decoded(good)["v"][1:]]}), "MALFORMED"),
        (lambda good: _token({**_decoded(good), "o": "00000000"}), "ORDERING_CHANGED"),
        (lambda good: "x" * 2001, "INVALID_PAGINATION"),
    ],
)
def test_a_bad_cursor_is_refused_with_the_envelope(api, listings, db_snapshot, make_cursor, reason):
    good = _cursor_of_first_page(api)
    before = db_snapshot()

    response = api.get(LISTINGS, {"limit": 2, "cursor": make_cursor(good)})

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "cursor"
    assert error["details"]["reason"] == reason
    assert db_snapshot() == before


def test_a_cursor_of_another_ordering_is_refused(api, listings):
    by_price = _cursor_of_first_page(api, ordering="price")

    response = api.get(LISTINGS, {"limit": 2, "ordering": "-date", "cursor": by_price})

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "cursor", "reason": "ORDERING_CHANGED"}


def _decoded(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def test_a_cursor_page_costs_the_same_queries_as_a_numbered_one(
    api, listings, django_assert_max_num_queries
):
    cursor = _cursor_of_first_page(api)
    cache.clear()

    # The count and the page: no OFFSET, no extra query.
    with django_assert_max_num_queries(2):
        ok_body(api.get(LISTINGS, {"limit": 2, "cursor": cursor}))


@pytest.mark.parametrize(
    "ordering",
    [
        ("ticket__event__event_date", "-price"),  # through relations, without the id
        ("-created_at",),
        ("seller_id", "-id"),  # a relation's key
    ],
)
def test_cursors_walk_any_list_by_its_columns_once(listings, ordering):
    from marketplace.core.pagination import cursor_for, keyset_after, keyset_ordered

    search = keyset_ordered(Listing.objects.select_related("ticket__event").order_by(*ordering))
    seen, page = [], list(search[:4])
    while page:
        seen += [row.pk for row in page]
        page = list(keyset_after(search, cursor_for(search, page[-1]))[:4])

    assert seen == list(search.values_list("pk", flat=True))
    assert sorted(seen) == sorted(listing.pk for listing in listings)


def test_a_list_ordered_by_a_relations_own_ordering_has_no_cursor(listings):
    from marketplace.core.pagination import cursor_for

    search = Listing.objects.order_by("seller")

    assert cursor_for(search, search.first()) is None
