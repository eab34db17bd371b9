"""One ticket, one sale over real HTTP: ten buyers POST the same purchase at once.

The requests go through a live server (one thread and one database connection
per request), so the race is the one partners create. It is first run with the
reservation guard replaced by a read-then-write, to show the race exists;
then with the guard, to show exactly one buyer wins and the others get a
clean 409, never a 500.
"""

import threading
from decimal import Decimal

import pytest
import requests
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.testing import run_in_threads
from payments.models import Transaction
from payments.services import purchase
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 10


def _read_then_write_reserve(*, listing_id, now, all_read):
    """The race the guard prevents: check, then write by primary key. Every
    request checks before any writes: each waits at the barrier `all_read`
    (the live server's threads are in this process) between read and write."""
    available = Listing.objects.filter(
        pk=listing_id, status=Listing.Status.ACTIVE, expires_at__gt=now
    ).exists()
    all_read.wait()
    if available:
        Listing.objects.filter(pk=listing_id).update(status=Listing.Status.PENDING)
    return available


def _ten_buyers_purchase_at_once(live_server):
    """POST /transactions/purchase for one listing from BUYERS accounts released together.

    Returns the listing and, per buyer, (status code, envelope)."""
    listing = ListingFactory(
        ticket=TicketFactory(status=Ticket.Status.LISTED), price=Decimal("55.00")
    )
    tokens = [str(RefreshToken.for_user(UserFactory()).access_token) for _ in range(BUYERS)]
    url = f"{live_server.url}/api/v1/transactions/purchase"

    def buy(token):
        response = requests.post(
            url,
            json={"listingId": listing.pk, "paymentMethod": "credit_card"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return response.status_code, response.json()

    results, _ = run_in_threads([lambda t=t: buy(t) for t in tokens])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return listing, results


def test_without_the_guard_several_buyers_pass_and_the_losers_get_500s(live_server, monkeypatch):
    passed = []
    # Shorter than the requests' timeout: a request that never comes fails the test.
    all_read = threading.Barrier(BUYERS, timeout=20)

    def counting_reserve(**kwargs):
        won = _read_then_write_reserve(**kwargs, all_read=all_read)
        passed.append(won)
        return won

    monkeypatch.setattr(purchase, "_listing_reserve", counting_reserve)

    listing, results = _ten_buyers_purchase_at_once(live_server)

    statuses = sorted(status for status, _ in results)
    assert sum(passed) > 1
    assert sum(passed) == BUYERS  # each read "active" before anyone wrote
    # Only the database's last line of defence (one live transaction per
    # listing) stopped a double sale, with errors a buyer sees as a 500.
    assert statuses.count(500) == sum(passed) - 1
    assert Transaction.objects.filter(listing=listing).exclude(status="cancelled").count() == 1


def test_ten_buyers_at_once_one_gets_the_ticket_the_others_409(live_server):
    listing, results = _ten_buyers_purchase_at_once(live_server)

    statuses = [status for status, _ in results]
    assert sorted(statuses) == [201] + [409] * (BUYERS - 1)
    for status, body in results:
        if status == 201:
            assert body["success"] is True
            assert body["data"]["status"] == "pending_payment"
            assert body["data"]["client_secret"]
        else:
            assert body["success"] is False
            assert body["error"]["code"] == "TICKET_NOT_AVAILABLE"
    live = Transaction.objects.filter(listing=listing).exclude(status="cancelled")
    assert live.count() == 1
    assert Transaction.objects.filter(listing=listing).count() == 1
    winner = next(body["data"] for status, body in results if status == 201)
    assert live.get().pk == winner["id"]
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.RESERVED
