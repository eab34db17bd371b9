"""My tickets: what I hold on Encore, with what I can do with each."""

import datetime
import re
from html import unescape

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from listings.tests.factories import ListingFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = UserFactory()
    client.force_login(user)
    return user


def words(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(text))


def test_my_tickets_requires_login(client):
    response = client.get(reverse("tickets:mine"))

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/tickets/"


def test_the_download_stays_at_its_address():
    assert reverse("tickets:mine") == "/tickets/"
    assert reverse("tickets:file", kwargs={"ticket_id": 7}) == "/tickets/7/file/"


def test_my_tickets_lists_mine_with_status_and_download(client, owner):
    ticket = TicketFactory(owner=owner, event__name="Lankum Live", barcode="ENC-TICKET-4321")
    TicketFactory(event__name="Someone Else's Gig")

    response = client.get(reverse("tickets:mine"))

    assert response.status_code == 200
    html = response.content.decode()
    text = words(response)
    assert "Lankum Live" in text
    assert "Someone Else's Gig" not in text
    assert "Barcode ending in 4321" in text
    assert '<span class="status status-available">Available</span>' in html
    assert reverse("tickets:file", kwargs={"ticket_id": ticket.pk}) in html
    assert reverse("listings:list-ticket", args=[ticket.pk]) in html


def test_only_tickets_that_can_be_sold_offer_list_for_sale(client, owner):
    available = TicketFactory(owner=owner)
    listed = ListingFactory(ticket__owner=owner).ticket
    past = TicketFactory(
        owner=owner, event__event_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    cancelled_event = TicketFactory(owner=owner, event__status=Event.Status.CANCELLED)
    void = TicketFactory(owner=owner, status=Ticket.Status.VOID)

    html = client.get(reverse("tickets:mine")).content.decode()

    assert reverse("listings:list-ticket", args=[available.pk]) in html
    for ticket in (listed, past, cancelled_event, void):
        assert reverse("listings:list-ticket", args=[ticket.pk]) not in html
    assert html.count(">List for sale<") == 1
    # A listed ticket points to its listing; a void one has no file to give.
    assert reverse("listings:mine") in html
    assert reverse("tickets:file", kwargs={"ticket_id": void.pk}) not in html
    assert reverse("tickets:file", kwargs={"ticket_id": listed.pk}) in html


def test_a_bought_ticket_in_escrow_says_so(client, owner):
    TicketFactory(owner=owner, status=Ticket.Status.SOLD)

    assert "Bought, payment held" in words(client.get(reverse("tickets:mine")))


def test_no_tickets_yet(client, owner):
    assert "You have no tickets on Encore yet." in words(client.get(reverse("tickets:mine")))


@pytest.mark.parametrize("ticket_count", [2, 20])
def test_my_tickets_queries_do_not_grow_with_the_tickets_shown(
    client, owner, django_assert_max_num_queries, ticket_count
):
    TicketFactory.create_batch(ticket_count, owner=owner)

    with django_assert_max_num_queries(5):
        response = client.get(reverse("tickets:mine"))

    assert response.content.decode().count(">List for sale<") == ticket_count


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/tickets/1234567890123456789/file/"),
        ("get", "/tickets/1234567890123456789/transfer/"),
        ("post", "/tickets/1234567890123456789/transfer/cancel/"),
    ],
)
def test_an_id_of_19_digits_finds_no_route_and_answers_404(client, owner, method, path):
    # More digits than any id (marketplace.core.ids): no route, never an overflow.
    with pytest.raises(Resolver404):
        resolve(path)
    assert getattr(client, method)(path).status_code == 404
