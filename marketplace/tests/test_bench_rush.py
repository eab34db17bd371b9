"""The rush step's staleness (bench/rush.py) reads the page reads right: a page
that goes on showing a sold ticket, or misses a new one, must show in the
figures, or the benchmark would report a fresh page whatever happened.

The staleness over plain tuples (no database); then one small rush against the
live test server, checked in the database: each listing sold once, no 5xx.
"""

from decimal import Decimal

import pytest

from bench.rush import first_page_changes, staleness

STOCK = {1: Decimal("10.00"), 2: Decimal("20.00"), 3: Decimal("30.00")}


def _read(answered: float, ids, took: float = 0.01):
    """A page read answered at `answered` (sent `took` seconds before)."""
    return (answered - took, answered, frozenset(ids))


def test_a_sale_shown_by_the_next_answer_is_fresh():
    changes = first_page_changes(stock=STOCK, added=[], sold=[(100.0, 1)], page_size=50)
    reads = [_read(99.9, {1, 2, 3}), _read(100.05, {2, 3})]

    found = staleness(changes, reads)

    assert found["measured"] == 1
    assert found["stale_ms"]["max"] == 50.0
    assert found["proven_stale_ms"]["max"] == 0.0


def test_a_page_still_showing_a_sold_ticket_is_stale_until_an_answer_drops_it():
    changes = first_page_changes(stock=STOCK, added=[], sold=[(100.0, 1)], page_size=50)
    reads = [_read(100.2, {1, 2, 3}), _read(101.5, {1, 2, 3}), _read(102.0, {2, 3})]

    found = staleness(changes, reads)

    assert found["stale_ms"]["max"] == 2000.0
    assert found["proven_stale_ms"]["max"] == 1500.0


def test_a_slow_read_sent_before_the_change_counts_when_it_is_answered():
    # Queued for seconds, then answered after the sale still showing the ticket.
    changes = first_page_changes(stock=STOCK, added=[], sold=[(100.0, 2)], page_size=50)
    reads = [_read(100.8, {1, 2, 3}, took=5.0), _read(101.0, {1, 3}, took=5.0)]

    found = staleness(changes, reads)

    assert found["stale_ms"]["max"] == 1000.0
    assert found["proven_stale_ms"]["max"] == 800.0


def test_a_new_listing_counts_until_it_is_sold_and_never_shown_when_no_answer_had_it():
    changes = first_page_changes(
        stock=STOCK,
        added=[(100.0, 4, Decimal("5.00")), (100.0, 5, Decimal("6.00"))],
        sold=[(100.5, 5)],
        page_size=50,
    )
    reads = [_read(100.1, {1, 2, 3}), _read(100.3, {1, 2, 3, 4}), _read(100.7, {1, 2, 3, 4})]

    found = staleness(changes, reads)

    # Listing 4 shown 300 ms after; listing 5 sold before any answer had it, and
    # its sale (gone from every answer after it) counts as shown by the next one.
    assert found["changes"] == 3
    assert found["never_shown"] == 1
    assert found["measured"] == 2
    assert found["stale_ms"]["max"] == 300.0


def test_changes_beyond_the_first_page_are_counted_apart():
    changes = first_page_changes(
        stock=STOCK,
        added=[(100.0, 4, Decimal("99.00")), (100.0, 5, Decimal("1.00"))],
        sold=[(101.0, 3)],
        page_size=2,
    )

    by_id = {c["id"]: c["on_page"] for c in changes}
    # 5 is the cheapest; 4 the dearest; 3 was third by then (1.00, 10.00, 20.00 first).
    assert by_id == {5: True, 4: False, 3: False}
    found = staleness(changes, [_read(100.5, {5, 1})])
    assert found["beyond_first_page"] == 2
    assert found["measured"] == 1


@pytest.mark.system
@pytest.mark.django_db(transaction=True)
def test_a_small_rush_against_the_site_sells_each_listing_once_and_sees_the_page_change(
    live_server,
):
    from rest_framework_simplejwt.tokens import AccessToken

    from bench import rush
    from marketplace.devtools.bench_seed import bench_users

    # given: four buyers, six tickets on sale, two sellers with two tickets each
    buyers = bench_users("bench-rush-test-{kind}-{n}@encore.localhost", "buyer", 4)
    tokens = [str(AccessToken.for_user(buyer)) for buyer in buyers]

    # when: the rush runs for a few seconds (no wrk fans: the watchers and buyers read)
    figures = rush.measure(
        live_server.url, tokens, fans=0, seconds=4, stock=6, sellers=2, seller_tickets=2
    )

    # then: every listing sold was sold once, no request failed, and the page moved
    sales = figures["sales_per_listing"]
    assert figures["server_errors_5xx"] == 0
    assert figures["new_listings"]["listed_201"] == 4
    assert sales["listings_sold"] == figures["purchases"]["sold_201"] >= 1
    assert sales["listings_with_more"] == 0
    assert sales["transactions"] == sales["listings_sold"]
    assert figures["staleness"]["measured"] >= 1
    assert figures["page_reads"]["statuses"].keys() == {"200"}
