"""Buying a ticket held for a fan (rule 13 with rules 3 and the purchase limit):
only the fan it is offered to can buy it, their offer counts towards the
limit, and a ticket back on sale goes to the waiting list first."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.services import event_update
from events.tests.factories import EventFactory
from listings.models import Listing, WaitlistOffer
from listings.services import listing_cancel
from listings.waitlist.entries import waitlist_join
from marketplace.core.errors import PaymentFailed, TicketNotAvailable, ValidationFailed
from marketplace.testing import in_days
from payments.models import Transaction
from payments.services import transaction_abandon, transaction_purchase
from payments.services.event_changes import event_cancellation_step
from payments.tests.helpers import CARD_DECLINED, CARD_OK
from tickets.models import Ticket

from .waitlist_helpers import fans_waiting, list_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _offer(listing, state=WaitlistOffer.State.OPEN) -> WaitlistOffer:
    return WaitlistOffer.objects.select_related("entry__fan").get(listing=listing, state=state)


def test_the_fan_it_is_offered_to_buys_it_and_the_offer_is_accepted():
    event = EventFactory(event_date=in_days(30))
    (entry,) = fans_waiting(event, 1)
    listing = list_ticket(event)

    purchase = transaction_purchase(
        buyer=entry.fan, listing_id=listing.pk, payment_method_id=CARD_OK
    )

    txn = purchase.transaction
    assert txn.status == Transaction.Status.PAID
    offer = WaitlistOffer.objects.get(listing=listing)
    assert offer.state == WaitlistOffer.State.ACCEPTED
    assert txn.waitlist_offer == offer
    ticket = Ticket.objects.get(pk=listing.ticket_id)
    assert (ticket.owner, ticket.status) == (entry.fan, Ticket.Status.SOLD)


def test_nobody_else_can_buy_a_ticket_held_for_a_fan():
    event = EventFactory(event_date=in_days(30))
    fans_waiting(event, 1)
    listing = list_ticket(event)

    with pytest.raises(TicketNotAvailable):
        transaction_purchase(buyer=UserFactory(), listing_id=listing.pk, payment_method_id=CARD_OK)
    with pytest.raises(TicketNotAvailable):
        transaction_purchase(buyer=UserFactory(), listing_id=listing.pk)

    assert not Transaction.objects.exists()
    assert _offer(listing).state == WaitlistOffer.State.OPEN


def test_an_offer_whose_time_is_up_cannot_be_bought_and_goes_to_the_next_fan():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    WaitlistOffer.objects.filter(listing=listing).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    with pytest.raises(TicketNotAvailable):
        transaction_purchase(buyer=first.fan, listing_id=listing.pk)

    assert _offer(listing).entry == second
    assert not Transaction.objects.exists()


def test_a_declined_card_puts_the_ticket_back_to_the_next_fan_not_on_sale():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)

    with pytest.raises(PaymentFailed):
        transaction_purchase(
            buyer=first.fan, listing_id=listing.pk, payment_method_id=CARD_DECLINED
        )

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert _offer(listing).entry == second


def test_an_abandoned_checkout_of_a_public_listing_goes_to_the_waiting_list():
    event = EventFactory(event_date=in_days(30))
    listing = list_ticket(event)
    buyer = UserFactory()
    txn = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    (entry,) = fans_waiting(event, 1)

    transaction_abandon(buyer=buyer, transaction_id=txn.pk)

    assert _offer(listing).entry == entry


def test_an_open_offer_counts_towards_the_purchase_limit(settings):
    settings.MAX_TICKETS_PER_EVENT = 2
    event = EventFactory(event_date=in_days(30))
    public = list_ticket(event)
    (entry,) = fans_waiting(event, 1, quantity=2)
    transaction_purchase(buyer=entry.fan, listing_id=public.pk, payment_method_id=CARD_OK)
    held = list_ticket(event)
    assert _offer(held).entry == entry
    # A third ticket: the fan's quantity is reached, nobody else waits, so it
    # goes on sale for everyone.
    other = list_ticket(event, price="60.00")
    other.refresh_from_db()
    assert other.status == Listing.Status.ACTIVE

    # The fan holds one purchase and one offer: the limit of 2 is reached.
    with pytest.raises(ValidationFailed) as exc:
        transaction_purchase(buyer=entry.fan, listing_id=other.pk)
    assert exc.value.details["reason"] == "PURCHASE_LIMIT_REACHED"
    # Accepting the offer itself is allowed: it turns into the second purchase.
    txn = transaction_purchase(buyer=entry.fan, listing_id=held.pk).transaction
    assert txn.waitlist_offer_id == _offer(held, WaitlistOffer.State.ACCEPTED).pk


def test_a_fan_is_not_offered_more_than_their_quantity():
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)

    one, two = list_ticket(event), list_ticket(event)

    assert {_offer(one).entry, _offer(two).entry} == {first, second}


def test_a_fan_who_asked_for_two_gets_two_offers_before_the_next_fan():
    event = EventFactory(event_date=in_days(30))
    first = waitlist_join(fan=UserFactory(), event=event, quantity=2)[0]
    second = fans_waiting(event, 1)[0]

    one, two, three = list_ticket(event), list_ticket(event), list_ticket(event)

    assert [_offer(x).entry for x in (one, two, three)] == [first, first, second]


@pytest.mark.parametrize(
    ("wanted", "ticket", "matches"),
    [
        ({"max_price": "50.00"}, {}, False),
        ({"max_price": "55.00"}, {}, True),
        ({"section": "b"}, {"section": "B"}, True),
        ({"section": "C"}, {"section": "B"}, False),
        ({"ticket_type": "standing"}, {"ticket_type": "seated"}, False),
        ({"ticket_type": "seated"}, {"ticket_type": "seated"}, True),
    ],
)
def test_a_ticket_is_offered_only_to_fans_it_matches(wanted, ticket, matches):
    event = EventFactory(event_date=in_days(30))
    fans_waiting(event, 1, **wanted)

    listing = list_ticket(event, price="55.00", **ticket)

    listing.refresh_from_db()
    assert listing.status == (Listing.Status.PENDING if matches else Listing.Status.ACTIVE)


def test_the_seller_can_withdraw_a_listing_held_for_a_fan():
    event = EventFactory(event_date=in_days(30))
    fans_waiting(event, 1)
    listing = list_ticket(event)

    listing_cancel(actor=listing.seller, listing=listing)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.CANCELLED
    assert WaitlistOffer.objects.get(listing=listing).state == WaitlistOffer.State.WITHDRAWN
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.AVAILABLE


def test_a_cancelled_event_withdraws_tickets_held_for_fans():
    event = EventFactory(event_date=in_days(30))
    fans_waiting(event, 1)
    listing = list_ticket(event)

    event_update(actor=event.organizer, event=event, status="cancelled")
    while event_cancellation_step(event_id=event.pk):
        pass

    listing.refresh_from_db()
    assert listing.status == Listing.Status.CANCELLED
    assert not WaitlistOffer.objects.filter(state__in=WaitlistOffer.HOLDING_STATES).exists()


def test_the_seller_is_never_offered_their_own_ticket():
    event = EventFactory(event_date=in_days(30))
    (entry,) = fans_waiting(event, 1)

    listing = list_ticket(event, seller=entry.fan)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE
