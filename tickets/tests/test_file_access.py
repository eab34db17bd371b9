"""A ticket's file and details are its owner's only; anyone else gets 404 (rule 10)."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from marketplace.core.errors import NotFound
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_owner, ticket_list_for_owner
from tickets.services import ticket_file_open, ticket_transfer, ticket_upload
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.helpers import BARCODE, PNG_BYTES, upload

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tickets.tests.urls")]


def file_url(ticket):
    return reverse("tickets:file", kwargs={"ticket_id": ticket.pk})


def download(client, user, ticket):
    if user is not None:
        client.force_login(user)
    return client.get(file_url(ticket))


# --- the view -------------------------------------------------------------------


def test_owner_downloads_the_file_as_a_private_attachment(client):
    ticket = TicketFactory(file_content=PDF_BYTES)

    response = download(client, ticket.owner, ticket)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["Content-Disposition"] == (
        f'attachment; filename="encore-ticket-{ticket.pk}.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_content_type_is_the_one_found_at_upload(client):
    owner = UserFactory()
    ticket = ticket_upload(
        owner=owner,
        event=EventFactory(),
        face_value="30.00",
        barcode=BARCODE,  # the code in PNG_BYTES
        file=upload(PNG_BYTES, "ticket.pdf", content_type="application/pdf"),
    )

    response = download(client, owner, ticket)

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith('.png"')
    assert b"".join(response.streaming_content) == PNG_BYTES
    response.close()


def test_another_user_gets_404(client):
    ticket = TicketFactory()

    assert download(client, UserFactory(), ticket).status_code == 404


def test_staff_get_404_too(client):
    # Staff see a ticket's record in the admin; the file that admits is the owner's.
    ticket = TicketFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)

    assert download(client, staff, ticket).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client):
    ticket = TicketFactory()

    response = download(client, None, ticket)

    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
    assert parse_qs(urlsplit(response.url).query)["next"] == [file_url(ticket)]


def test_former_owner_gets_404_after_a_transfer(client):
    from tickets.services import ticket_transfer_claim
    from tickets.tests.test_transfer import code_emailed_to

    ticket = TicketFactory()
    former, friend = ticket.owner, UserFactory()
    ticket_transfer(owner=former, ticket=ticket, recipient_email=friend.email)
    # Until the friend accepts it, the ticket (and its file) stays the sender's.
    assert download(client, friend, ticket).status_code == 404
    ticket_transfer_claim(user=friend, code=code_emailed_to(friend.email))

    assert download(client, former, ticket).status_code == 404
    response = download(client, friend, ticket)
    assert response.status_code == 200
    response.close()


def test_seller_gets_404_once_the_buyer_owns_the_ticket(client):
    ticket = TicketFactory(status=Ticket.Status.RESERVED)
    seller, buyer = ticket.owner, UserFactory()
    # what the payment service does when the payment succeeds
    Ticket.objects.filter(pk=ticket.pk).update(owner=buyer, status=Ticket.Status.SOLD)

    assert download(client, seller, ticket).status_code == 404
    response = download(client, buyer, ticket)
    assert response.status_code == 200
    response.close()


def test_void_ticket_file_is_given_to_no_one(client):
    ticket = TicketFactory(status=Ticket.Status.VOID)

    assert download(client, ticket.owner, ticket).status_code == 404


def test_unknown_ticket_is_404(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get(reverse("tickets:file", kwargs={"ticket_id": 987654321})).status_code == 404


def test_only_get_is_allowed(client):
    ticket = TicketFactory()
    client.force_login(ticket.owner)

    assert client.post(file_url(ticket)).status_code == 405


# --- the service and selectors ----------------------------------------------------


def test_file_open_reads_the_database_not_the_object_passed_in():
    ticket = TicketFactory()
    former = ticket.owner
    Ticket.objects.filter(pk=ticket.pk).update(owner=UserFactory())

    with pytest.raises(NotFound):
        ticket_file_open(user=former, ticket=ticket)  # ticket.owner is still `former` here


def test_file_open_gives_the_file_its_type_and_a_name():
    ticket = TicketFactory(file_content=PDF_BYTES)

    handle, content_type, filename = ticket_file_open(user=ticket.owner, ticket=ticket)

    with handle:
        assert handle.read() == PDF_BYTES
    assert (content_type, filename) == ("application/pdf", f"encore-ticket-{ticket.pk}.pdf")


def test_missing_file_on_disk_is_not_found():
    ticket = TicketFactory()
    ticket.file.storage.delete(ticket.file.name)

    with pytest.raises(NotFound):
        ticket_file_open(user=ticket.owner, ticket=ticket)


def test_owner_lists_their_tickets_soonest_event_first(django_assert_num_queries):
    owner = UserFactory()
    later = TicketFactory(owner=owner)
    sooner = TicketFactory(
        owner=owner,
        event=EventFactory(event_date=later.event.event_date - datetime.timedelta(days=7)),
    )
    TicketFactory()  # someone else's

    with django_assert_num_queries(1):
        tickets = list(ticket_list_for_owner(owner=owner))
        names = [t.event.name for t in tickets]

    assert tickets == [sooner, later]
    assert names == [sooner.event.name, later.event.name]


def test_get_for_owner_refuses_someone_elses_ticket():
    ticket = TicketFactory()

    assert ticket_get_for_owner(owner=ticket.owner, ticket_id=ticket.pk) == ticket
    for owner, ticket_id in ((UserFactory(), ticket.pk), (ticket.owner, 0), (ticket.owner, "x")):
        with pytest.raises(NotFound):
            ticket_get_for_owner(owner=owner, ticket_id=ticket_id)
