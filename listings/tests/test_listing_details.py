"""What a listing must say (issue 15, part 4; UK Consumer Rights Act 2015, s.90): the
seat where the ticket is seated, any restriction on use, the face value, and the
organizer's ticket number where there is one; never the barcode. The sell form asks
for them; the listing page and the API show them."""

import json
import re
from html import unescape

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.testing import error_of, ok_data
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.files import ticket_pdf

pytestmark = pytest.mark.django_db

BARCODE = "ENC-DETAILS-0042"


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


@pytest.fixture
def seller(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def event():
    return EventFactory(name="Lankum at Vicar Street")


def pdf(code=BARCODE):
    return SimpleUploadedFile("ticket.pdf", ticket_pdf(code), content_type="application/pdf")


def sell_form(**overrides):
    data = {
        "file": pdf(),
        "face_value": "50.00",
        "ticket_type": Ticket.Type.SEATED,
        "section": "Upper Tier",
        "row": "F",
        "seat": "21",
        "restrictions": ["ID must match the name on the ticket", "Restricted view"],
        "restrictions_other": "No re-entry after 21:00",
        "organizer_ticket_number": "TM-7781-02",
        "price": "55.00",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# --- the sell form asks ------------------------------------------------------------------


def test_the_sell_form_asks_for_the_seat_the_restrictions_and_the_ticket_number(
    client, seller, event, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = client.get(reverse("listings:sell-event", args=[event.pk]))

    html = response.content.decode()
    for name in ("section", "row", "seat", "restrictions_other", "organizer_ticket_number"):
        assert f'name="{name}"' in html
    for restriction in Ticket.COMMON_RESTRICTIONS:
        assert f'value="{restriction}"' in unescape(html)
    text = text_of(response)
    assert "Restrictions on use (optional)" in text
    assert "Required for a seated ticket." in text
    assert "Never the barcode: buyers see this number." in text


def test_the_sell_page_keeps_what_the_listing_must_say(client, seller, event):
    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form())

    assert response.status_code == 302
    ticket = Ticket.objects.get(owner=seller)
    assert (ticket.section, ticket.row, ticket.seat) == ("Upper Tier", "F", "21")
    assert ticket.restrictions == (
        "ID must match the name on the ticket; Restricted view; No re-entry after 21:00"
    )
    assert ticket.organizer_ticket_number == "TM-7781-02"
    assert Listing.objects.get(ticket=ticket).status == Listing.Status.ACTIVE


def test_a_seated_ticket_without_its_seat_is_refused_on_the_seat_field(client, seller, event):
    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form(seat=""))

    assert response.status_code == 200
    assert "A seated ticket needs its seat" in text_of(response)
    assert not Ticket.objects.exists()
    # A standing ticket has no seat.
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]),
        sell_form(seat="", row="", section="", ticket_type=Ticket.Type.STANDING),
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "number",
    [BARCODE, "enc details 0042", "Order ENC-DETAILS-0042 / 2"],
    ids=["the-barcode", "the-barcode-retyped", "containing-it"],
)
def test_a_ticket_number_that_is_the_barcode_is_refused_on_the_page(client, seller, event, number):
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]),
        sell_form(organizer_ticket_number=number),
    )

    assert response.status_code == 200
    assert "This is the ticket's barcode, which Encore never shows" in text_of(response)
    assert not Ticket.objects.exists()


# --- the listing page shows ------------------------------------------------------------


def _listing(**ticket_fields):
    fields = {
        "section": "Block 112",
        "row": "K",
        "seat": "4",
        "restrictions": "Under 18s must be accompanied by an adult",
        "organizer_ticket_number": "ORD-55501",
        "barcode": BARCODE,
        "status": "listed",
        **ticket_fields,
    }
    return ListingFactory(ticket=TicketFactory(**fields))


def test_the_listing_page_shows_seat_restrictions_face_value_and_number_never_the_barcode(
    client, django_assert_max_num_queries
):
    listing = _listing()

    with django_assert_max_num_queries(8):
        response = client.get(f"/listings/{listing.pk}/")

    text = text_of(response)
    assert "Seat Section Block 112, Row K, Seat 4" in text
    assert "Restrictions Under 18s must be accompanied by an adult" in text
    assert "Face value €50.00" in text
    assert "Ticket number ORD-55501 (the organizer's)" in text
    assert BARCODE not in response.content.decode()
    assert BARCODE.replace("-", "") not in response.content.decode()


def test_a_listing_without_restrictions_or_number_says_so(client):
    listing = _listing(restrictions="", organizer_ticket_number="")

    text = text_of(client.get(f"/listings/{listing.pk}/"))

    assert "Restrictions None stated by the seller" in text
    assert "Ticket number" not in text


# --- the API shows -----------------------------------------------------------------------


def test_the_api_listing_shows_what_the_listing_must_say_never_the_barcode(api):
    listing = _listing()

    response = api.get(f"/api/v1/listings/{listing.pk}")

    ticket = ok_data(response)["ticket"]
    assert ticket == {
        "ticket_type": "seated",
        "section": "Block 112",
        "row": "K",
        "seat": "4",
        "face_value": "50.00",
        "original_fees": "0.00",
        "restrictions": "Under 18s must be accompanied by an adult",
        "organizer_ticket_number": "ORD-55501",
    }
    assert BARCODE not in json.dumps(response.json())


def test_the_tickets_api_takes_and_shows_them(api_as, event):
    seller = UserFactory()
    client = api_as(seller)

    response = client.post(
        "/api/v1/tickets/upload",
        {
            "event_id": event.pk,
            "file": pdf(),
            "face_value": "50.00",
            "ticket_type": "seated",
            "section": "Lower",
            "row": "B",
            "seat": "9",
            "restrictions": "Restricted view",
            "organizer_ticket_number": "T-99",
        },
        format="multipart",
    )

    data = ok_data(response, 201)
    assert (data["restrictions"], data["organizer_ticket_number"]) == ("Restricted view", "T-99")
    assert BARCODE not in json.dumps(response.json())
    shown = ok_data(client.get(f"/api/v1/tickets/{data['id']}"))
    assert (shown["seat"], shown["restrictions"]) == ("9", "Restricted view")


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"ticket_type": "seated", "seat": ""}, "seat", "REQUIRED"),
        ({"organizer_ticket_number": BARCODE}, "organizer_ticket_number", "IS_BARCODE"),
        ({"organizer_ticket_number": f"#{BARCODE.lower()}#"}, "organizer_ticket_number", None),
        ({"restrictions": "x" * 501}, "restrictions", None),
    ],
    ids=["seated-without-seat", "number-is-barcode", "number-contains-barcode", "too-long"],
)
def test_the_tickets_api_refuses_what_a_listing_cannot_say(
    api_as, event, db_snapshot, fields, field, reason
):
    seller = UserFactory()
    client = api_as(seller)
    before = db_snapshot()
    body = {"event_id": event.pk, "file": pdf(), "face_value": "50.00", "seat": "3", **fields}

    response = client.post("/api/v1/tickets/upload", body, format="multipart")

    details = error_of(response, 400, "VALIDATION_ERROR")["details"]
    assert details.get("field") == field or field in details
    if reason:
        assert details["reason"] == reason
    assert db_snapshot() == before
