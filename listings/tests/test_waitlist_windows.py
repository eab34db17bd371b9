"""How long an offer from the waiting list lasts: a window that shrinks as the
event nears, never ending in the venue's quiet hours unless the event is close."""

import datetime
import zoneinfo

import pytest

from listings.waitlist.windows import offer_expires_at, offer_window

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


def at(zone, *args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("before_start", "minutes"),
    [
        (datetime.timedelta(days=30), 30),
        (datetime.timedelta(days=7), 30),
        (datetime.timedelta(days=7) - datetime.timedelta(seconds=1), 10),
        (datetime.timedelta(hours=24), 10),
        (datetime.timedelta(hours=23, minutes=59), 3),
        (datetime.timedelta(minutes=5), 3),
    ],
)
def test_the_window_shrinks_as_the_event_nears(before_start, minutes):
    now = at(BERLIN, 2027, 3, 1, 12, 0)

    assert offer_window(starts_at=now + before_start, now=now) == datetime.timedelta(
        minutes=minutes
    )


def test_the_windows_come_from_settings(settings):
    settings.WAITLIST_OFFER_WINDOWS = [[3600, 45], [0, 7]]
    now = at(BERLIN, 2027, 3, 1, 12, 0)

    assert offer_window(starts_at=now + datetime.timedelta(hours=2), now=now).seconds == 45 * 60
    assert offer_window(starts_at=now + datetime.timedelta(minutes=30), now=now).seconds == 7 * 60


def test_an_offer_in_the_afternoon_ends_a_window_later():
    now = at(BERLIN, 2027, 3, 1, 15, 0)
    starts_at = at(BERLIN, 2027, 4, 1, 20, 0)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=starts_at, now=now)

    assert expires == now + datetime.timedelta(minutes=30)


def test_an_offer_that_would_end_in_the_night_ends_a_whole_window_after_eight():
    # 23:50 Berlin + 30 minutes would be 00:20: held until 08:00, then 30 minutes.
    now = at(BERLIN, 2027, 3, 1, 23, 50)
    starts_at = at(BERLIN, 2027, 4, 1, 20, 0)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=starts_at, now=now)

    assert expires == at(BERLIN, 2027, 3, 2, 8, 30)


def test_the_quiet_hours_are_the_venues_not_the_servers():
    # 14:00 UTC is 01:00 in Sydney (summer time, UTC+11): an offer made then
    # ends 30 minutes after 08:00 Sydney time.
    now = datetime.datetime(2027, 1, 10, 14, 0, tzinfo=datetime.UTC)
    starts_at = at(SYDNEY, 2027, 2, 20, 19, 0)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=starts_at, now=now)

    assert expires.astimezone(SYDNEY) == at(SYDNEY, 2027, 1, 11, 8, 30)


def test_within_24_hours_of_the_start_the_night_does_not_hold_the_offer():
    now = at(BERLIN, 2027, 3, 1, 2, 0)
    starts_at = at(BERLIN, 2027, 3, 1, 20, 0)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=starts_at, now=now)

    assert expires == now + datetime.timedelta(minutes=3)


def test_no_offer_outlives_its_listing():
    now = at(BERLIN, 2027, 3, 1, 15, 0)
    starts_at = at(BERLIN, 2027, 4, 1, 20, 0)
    listing_ends = now + datetime.timedelta(minutes=12)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=listing_ends, now=now)

    assert expires == listing_ends


def test_the_spring_forward_night_still_ends_offers_after_eight():
    # 28 March 2027: Berlin's clocks go from 02:00 to 03:00.
    now = at(BERLIN, 2027, 3, 28, 1, 45)
    starts_at = at(BERLIN, 2027, 5, 1, 20, 0)

    expires = offer_expires_at(starts_at=starts_at, listing_expires_at=starts_at, now=now)

    assert expires == at(BERLIN, 2027, 3, 28, 8, 30)
    assert expires.utcoffset() == datetime.timedelta(hours=2)
