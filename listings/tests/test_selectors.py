from decimal import Decimal

import pytest

from events.tests.factories import EventFactory
from listings.models import Listing
from listings.selectors import listing_get_active, listing_list_for_event
from listings.tests.factories import ListingFactory
from marketplace.core.errors import NotFound
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_an_events_listings_cheapest_first_and_only_active():
    event = EventFactory()
    prices = ["58.00", "45.00", "50.00"]
    listings = [
        ListingFactory(ticket=TicketFactory(event=event, status="listed"), price=Decimal(p))
        for p in prices
    ]
    Listing.objects.filter(pk=listings[0].pk).update(status="pending")

    shown = list(listing_list_for_event(event=event))

    assert [listing.price for listing in shown] == [Decimal("45.00"), Decimal("50.00")]
    with pytest.raises(NotFound):
        listing_get_active(listing_id=listings[0].pk)
    assert listing_get_active(listing_id=listings[1].pk) == listings[1]
