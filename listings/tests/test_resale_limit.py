"""A seller lists at most the event's primary purchase limit of its tickets (issue 15,
part 3): what one fan could buy from the organizer (default 6). Listings on sale,
being bought or sold count; cancelled and expired ones gave the ticket back."""

import re
import threading
import time
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings import services
from listings.models import Listing
from listings.services import listing_create, ticket_upload_and_list
from listings.tests.factories import ListingFactory
from marketplace.core.errors import ValidationFailed
from marketplace.testing import error_of, run_in_threads
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.files import ticket_pdf

LIMIT_DETAILS = {"field": "ticket", "reason": "RESALE_LIMIT_REACHED", "limit": 6}


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


def listed(seller, event, count, status=Listing.Status.ACTIVE):
    ticket_status = {"active": "listed", "pending": "reserved", "sold": "sold"}.get(
        status, "available"
    )
    return [
        ListingFactory(
            ticket=TicketFactory(event=event, owner=seller, status=ticket_status),
            seller=seller,
            status=status,
        )
        for _ in range(count)
    ]


# --- the service -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_seller_cannot_list_a_seventh_ticket_of_one_event(db_snapshot):
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 4)
    listed(seller, event, 1, Listing.Status.PENDING)
    listed(seller, event, 1, Listing.Status.SOLD)
    seventh = TicketFactory(event=event, owner=seller)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as caught:
        listing_create(seller=seller, ticket=seventh, price="50.00")

    assert caught.value.details == LIMIT_DETAILS
    assert db_snapshot() == before


@pytest.mark.django_db
def test_cancelled_and_expired_listings_and_other_events_do_not_count():
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 5)
    listed(seller, event, 2, Listing.Status.CANCELLED)
    listed(seller, event, 2, Listing.Status.EXPIRED)
    listed(seller, EventFactory(), 3)
    listed(UserFactory(), event, 3)  # another seller's

    sixth = listing_create(seller=seller, ticket=TicketFactory(event=event, owner=seller), price=50)

    assert sixth.status == Listing.Status.ACTIVE


@pytest.mark.django_db
def test_the_limit_is_the_events_own():
    seller, event = UserFactory(), EventFactory(primary_purchase_limit=2)
    listed(seller, event, 2)

    with pytest.raises(ValidationFailed) as caught:
        listing_create(seller=seller, ticket=TicketFactory(event=event, owner=seller), price=50)

    assert caught.value.details["limit"] == 2


@pytest.mark.django_db
def test_the_sell_service_refuses_before_uploading_anything(db_snapshot):
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 6)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as caught:
        ticket_upload_and_list(
            seller=seller,
            event=event,
            price=Decimal("50.00"),
            file=SimpleUploadedFile("t.pdf", ticket_pdf("ENC-LIMIT-7"), "application/pdf"),
            face_value=Decimal("50.00"),
        )

    assert caught.value.details == LIMIT_DETAILS
    assert db_snapshot() == before


# --- the pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_ticket_page_refuses_the_seventh_ticket(client, django_assert_max_num_queries):
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 6)
    seventh = TicketFactory(event=event, owner=seller)
    client.force_login(seller)

    with django_assert_max_num_queries(25):
        response = client.post(
            reverse("listings:list-ticket", args=[seventh.pk]), {"price": "50.00"}
        )

    assert response.status_code == 200
    assert "You can sell at most 6 tickets for this event on Encore" in unescape(
        response.content.decode()
    )
    assert not Listing.objects.filter(ticket=seventh).exists()


@pytest.mark.django_db
def test_the_sell_page_refuses_the_seventh_ticket_and_stores_nothing(client):
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 6)
    client.force_login(seller)
    tickets_before = Ticket.objects.count()

    response = client.post(
        reverse("listings:sell-event", args=[event.pk]),
        {
            "file": SimpleUploadedFile("t.pdf", ticket_pdf("ENC-LIMIT-8"), "application/pdf"),
            "face_value": "50.00",
            "ticket_type": Ticket.Type.GENERAL_ADMISSION,
            "price": "50.00",
        },
    )

    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "You can sell at most 6 tickets for this event on Encore" in html
    assert Ticket.objects.count() == tickets_before


@pytest.mark.django_db
def test_the_sell_page_says_the_limit_beside_the_form(client):
    seller, event = UserFactory(), EventFactory(primary_purchase_limit=4)
    client.force_login(seller)

    html = unescape(client.get(reverse("listings:sell-event", args=[event.pk])).content.decode())

    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "You may sell at most 4 tickets for this event on Encore" in text


# --- the API -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_the_seventh_ticket(api_as, db_snapshot):
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 6)
    seventh = TicketFactory(event=event, owner=seller)
    before = db_snapshot()

    response = api_as(seller).post(
        "/api/v1/listings", {"ticket_id": seventh.pk, "price": "50.00"}, format="json"
    )

    assert error_of(response, 400, "VALIDATION_ERROR")["details"] == LIMIT_DETAILS
    assert db_snapshot() == before


# --- concurrency: two listings at five ------------------------------------------------------

BARRIER_SECONDS = 30
# How long the count is held open before the listing is written: long enough for
# the other listing to reach its own count if nothing made it wait.
WINDOW_SECONDS = 0.5


def _race_at_five():
    seller, event = UserFactory(), EventFactory()
    listed(seller, event, 5)
    tickets = [TicketFactory(event=event, owner=seller) for _ in range(2)]
    calls = [(lambda t=t: listing_create(seller=seller, ticket=t, price="50.00")) for t in tickets]
    results, _ = run_in_threads(calls)
    open_or_sold = Listing.objects.filter(
        seller=seller, ticket__event=event, status__in=services.RESALE_LIMIT_STATUSES
    ).count()
    return results, open_or_sold


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_two_listings_at_five_both_pass_the_count(monkeypatch):
    # given the check without its lock, and both counts done before either writes
    both_counted = threading.Barrier(2, timeout=BARRIER_SECONDS)
    count = services.seller_listings_count
    check = services.resale_limit_check

    def counted_then_wait(**kwargs):
        result = count(**kwargs)
        both_counted.wait()
        return result

    monkeypatch.setattr(services, "seller_listings_count", counted_then_wait)
    monkeypatch.setattr(
        services,
        "resale_limit_check",
        lambda *, seller, event, lock=True: check(seller=seller, event=event, lock=False),
    )

    # when
    results, open_or_sold = _race_at_five()

    # then: the race is real: seven listings for a limit of six
    assert all(isinstance(result, Listing) for result in results), results
    assert open_or_sold == 7


@pytest.mark.django_db(transaction=True)
def test_two_listings_at_five_make_exactly_six(monkeypatch):
    # given the count held open as long as in the unguarded race
    count = services.seller_listings_count

    def slow_count(**kwargs):
        result = count(**kwargs)
        time.sleep(WINDOW_SECONDS)
        return result

    monkeypatch.setattr(services, "seller_listings_count", slow_count)

    # when
    results, open_or_sold = _race_at_five()

    # then: the second waited for the first, counted six, and was refused
    listings = [r for r in results if isinstance(r, Listing)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert (len(listings), len(refused)) == (1, 1), results
    assert refused[0].details == LIMIT_DETAILS
    assert open_or_sold == 6
