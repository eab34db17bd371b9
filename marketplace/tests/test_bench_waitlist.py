"""The waiting list step's checks (bench/waitlist.offer_checks) read the rows
right: a wrong offer must show in the figures, or the benchmark would report
"in order, 0 double offers" whatever happened.

Pure functions over plain tuples: no database.
"""

from bench.waitlist import offer_checks, percentile

LINE = [11, 12, 13, 14, 15, 16]  # entry ids, first in line first


def test_each_listing_offered_to_the_first_fans_in_line_is_in_order():
    checks = offer_checks(
        listing_ids=[1, 2, 3],
        offers=[(1, 12, "open"), (2, 11, "open"), (3, 13, "open")],
        line=LINE,
    )

    assert checks["offered_in_order"] is True
    assert checks["listings_with_one_open_offer"] == 3
    assert checks["double_offers"] == 0
    assert checks["last_place_offered"] == 3


def test_an_offer_to_a_fan_further_back_while_one_ahead_waits_is_not_in_order():
    checks = offer_checks(
        listing_ids=[1, 2, 3],
        offers=[(1, 11, "open"), (2, 12, "open"), (3, 15, "open")],
        line=LINE,
    )

    assert checks["offered_in_order"] is False
    assert checks["offered_outside_first"] == 1
    assert checks["first_not_offered"] == 1
    assert checks["last_place_offered"] == 5


def test_one_fan_holding_two_open_offers_is_a_double_offer():
    checks = offer_checks(
        listing_ids=[1, 2],
        offers=[(1, 11, "open"), (2, 11, "open")],
        line=LINE,
    )

    assert checks["fans_with_two_offers"] == 1
    assert checks["double_offers"] == 1
    assert checks["offered_in_order"] is False


def test_a_listing_with_two_open_offers_is_a_double_offer():
    checks = offer_checks(
        listing_ids=[1, 2],
        offers=[(1, 11, "open"), (1, 12, "open"), (2, 13, "open")],
        line=LINE,
    )

    assert checks["listings_offered_twice"] == 1
    assert checks["listings_with_one_open_offer"] == 1
    assert checks["double_offers"] == 1
    assert checks["offered_in_order"] is False


def test_a_listing_still_held_or_released_counts_as_without_an_offer():
    checks = offer_checks(
        listing_ids=[1, 2, 3],
        offers=[(1, 11, "open"), (2, None, "held"), (3, None, "released")],
        line=LINE,
    )

    assert checks["listings_without_offer"] == 2
    assert checks["listings_with_other_offers"] == 2
    assert checks["offered_in_order"] is False


def test_percentiles_pick_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 0.50) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
