"""How long a fan has to take a ticket offered from the waiting list.

The window shrinks as the event nears (WAITLIST_OFFER_WINDOWS: 30 minutes
more than 7 days before the start, 10 within 7 days, 3 in the last 24 hours by
default). An offer never ends in the quiet hours of the event's own clock
(WAITLIST_QUIET_HOURS, 00:00 to 08:00): one that would is moved to a whole
window after they end, unless the event starts within
WAITLIST_QUIET_HOURS_UNTIL_START_HOURS. No offer outlives its listing.
"""

import datetime

from django.conf import settings


def offer_window_bands() -> list[tuple[int, int]]:
    """WAITLIST_OFFER_WINDOWS as (seconds before the start at least, minutes),
    farthest from the start first: the first band reached applies, the last
    one covers the rest. The offers and the "How Encore protects you" page
    both read the setting through this."""
    return sorted(
        ((int(seconds), int(minutes)) for seconds, minutes in settings.WAITLIST_OFFER_WINDOWS),
        key=lambda band: -band[0],
    )


def offer_window(*, starts_at: datetime.datetime, now: datetime.datetime) -> datetime.timedelta:
    """The offer window for an event starting at `starts_at`, offered at `now`."""
    before_start = (starts_at - now).total_seconds()
    bands = offer_window_bands()
    for at_least_seconds, minutes in bands:
        if before_start >= at_least_seconds:
            return datetime.timedelta(minutes=minutes)
    return datetime.timedelta(minutes=bands[-1][1])


def _quiet_end(local: datetime.datetime) -> datetime.datetime | None:
    """The end of the quiet hours `local` falls in (same zone), or None."""
    start_hour, end_hour = (int(h) for h in settings.WAITLIST_QUIET_HOURS)
    if not start_hour <= local.hour < end_hour:
        return None
    end = datetime.datetime.combine(local.date(), datetime.time(end_hour), tzinfo=local.tzinfo)
    # A wall time in a daylight-saving gap is read as zones.py reads it.
    return end.astimezone(datetime.UTC).astimezone(local.tzinfo)


def offer_expires_at(
    *, starts_at: datetime.datetime, listing_expires_at: datetime.datetime, now: datetime.datetime
) -> datetime.datetime:
    """When an offer made at `now` ends: `now` plus the window, moved out of the
    event's quiet hours when the start is far enough, never past the listing's
    own end. `starts_at` carries the event's time zone (Event.starts_at)."""
    window = offer_window(starts_at=starts_at, now=now)
    expires_at = now + window
    quiet_until = datetime.timedelta(hours=settings.WAITLIST_QUIET_HOURS_UNTIL_START_HOURS)
    if starts_at - now > quiet_until:
        quiet_end = _quiet_end(expires_at.astimezone(starts_at.tzinfo))
        if quiet_end is not None:
            expires_at = quiet_end + window
    return min(expires_at, listing_expires_at)
