"""The waiting list's offers through the services (rule 13): a listing goes
to the first matching fan, held for them; decline, expiry and leaving pass it
on; nobody matching puts it on sale for everyone."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from events.tests.factories import EventFactory
from listings.models import Listing, WaitlistEntry, WaitlistOffer, WaitlistRaffle
from listings.selectors import listing_search
from listings.tasks import waitlist_offers_move_on
from listings.waitlist.entries import waitlist_leave
from listings.waitlist.offers import waitlist_offer_decline, waitlist_pass_on
from listings.waitlist.raffles import waitlist_raffle_open
from marketplace.core.models import AuditLog
from marketplace.testing import in_days

from .waitlist_helpers import fans_waiting, list_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _open_offer(listing) -> WaitlistOffer:
    return WaitlistOffer.objects.select_related("entry").get(
        listing=listing, state=WaitlistOffer.State.OPEN
    )


def test_a_listing_goes_to_the_first_fan_in_line_and_is_not_on_sale_meanwhile():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)

    listing = list_ticket(event)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    offer = _open_offer(listing)
    assert offer.entry == first
    window = offer.expires_at - offer.offered_at
    assert window >= datetime.timedelta(minutes=30)
    assert [m.to for m in mail.outbox] == [[first.fan.email]]
    assert f"/waitlist/offers/{offer.pk}/" in mail.outbox[0].body
    assert AuditLog.objects.filter(action="waitlist.offered", entity_id=str(offer.pk)).exists()


def test_decline_passes_the_ticket_to_the_next_fan_at_once():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)

    assert waitlist_offer_decline(fan=first.fan, offer=_open_offer(listing))

    assert _open_offer(listing).entry == second


def _time_is_up(*listings) -> None:
    WaitlistOffer.objects.filter(listing__in=listings, state="open").update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_an_offer_whose_time_is_up_goes_to_the_next_fan_who_may_hold_it():
    event = EventFactory(event_date=in_days(30))
    first, second, third = fans_waiting(event, 3)
    one, two = list_ticket(event), list_ticket(event)
    assert (_open_offer(one).entry, _open_offer(two).entry) == (first, second)

    _time_is_up(one, two)
    waitlist_pass_on(listing_id=one.pk)
    waitlist_pass_on(listing_id=two.pk)

    # `one` skips second (still holding `two` when it was passed on) for third;
    # `two` then goes to first, whose offer of `one` had ended.
    assert (_open_offer(one).entry, _open_offer(two).entry) == (third, first)
    assert WaitlistOffer.objects.filter(state="expired").count() == 2
    first.refresh_from_db()
    assert first.lapses == 1


def test_a_fan_who_lets_two_offers_lapse_is_moved_to_the_back():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    one = list_ticket(event)
    _time_is_up(one)
    waitlist_pass_on(listing_id=one.pk)  # to second
    two = list_ticket(event)  # to first
    assert (_open_offer(one).entry, _open_offer(two).entry) == (second, first)
    _time_is_up(two)
    waitlist_pass_on(listing_id=two.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.lapses == 0
    assert first.position > second.position
    assert AuditLog.objects.filter(action="waitlist.moved_back", entity_id=str(first.pk)).exists()


def test_nobody_matching_puts_the_listing_on_sale_for_everyone():
    event = EventFactory(event_date=in_days(30))
    fans_waiting(event, 1, max_price="40.00")

    listing = list_ticket(event, price="55.00")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE
    assert WaitlistOffer.objects.get(listing=listing).state == WaitlistOffer.State.RELEASED


def test_leaving_while_offered_passes_the_ticket_on():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)

    waitlist_leave(fan=first.fan, event_id=event.pk)

    assert _open_offer(listing).entry == second


def test_declining_an_offer_whose_time_is_up_counts_as_a_lapse_and_passes_it_on():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    offer = _open_offer(listing)
    _time_is_up(listing)

    assert not waitlist_offer_decline(fan=first.fan, offer=offer)

    offer.refresh_from_db()
    first.refresh_from_db()
    assert (offer.state, first.lapses) == (WaitlistOffer.State.EXPIRED, 1)
    assert _open_offer(listing).entry == second


def _raffle_closed(raffle) -> None:
    """The raffle's window ends now (its opening a minute before)."""
    now = timezone.now()
    WaitlistRaffle.objects.filter(pk=raffle.pk).update(
        opens_at=now - datetime.timedelta(minutes=1), closes_at=now
    )


def test_a_ticket_listed_during_a_raffle_waits_for_the_draw_then_goes_to_the_first_drawn():
    event = EventFactory(event_date=in_days(30))
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    listing = list_ticket(event)
    joined = fans_waiting(event, 3)

    listing.refresh_from_db()
    hold = WaitlistOffer.objects.get(listing=listing)
    assert (listing.status, hold.state) == (Listing.Status.PENDING, WaitlistOffer.State.HELD)
    assert not listing_search(event_id=event.pk).exists()

    _raffle_closed(raffle)
    waitlist_offers_move_on.apply(throw=True)

    drawn = sorted(joined, key=lambda entry: WaitlistEntry.objects.get(pk=entry.pk).position)
    assert _open_offer(listing).entry == drawn[0]


def test_a_ticket_held_for_a_raffle_nobody_entered_goes_on_sale_after_the_draw():
    event = EventFactory(event_date=in_days(30))
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    listing = list_ticket(event)

    _raffle_closed(raffle)
    waitlist_offers_move_on.apply(throw=True)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE
    assert WaitlistOffer.objects.get(listing=listing).state == WaitlistOffer.State.RELEASED
