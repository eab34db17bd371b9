"""The sell pages: pick the event, upload and price a ticket, my listings."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.models import AuditLog
from tickets.models import Ticket
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.files import ticket_pdf

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch):
    """Ticket files written here go to this test's own folder."""
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
    return EventFactory(name="Fontaines D.C. at 3Arena", category=Event.Category.CONCERT)


# The ticket the sell form uploads: its barcode, ENC-SELL-0001, as a QR code.
SELL_PDF = ticket_pdf("ENC-SELL-0001")


def pdf(name="ticket.pdf", content=SELL_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def sell_form(**overrides):
    data = {
        "file": pdf(),
        "barcode": "ENC-SELL-0001",
        "face_value": "50.00",
        "ticket_type": Ticket.Type.SEATED,
        "section": "A",
        "row": "12",
        "seat": "7",
        "price": "55.00",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(html: str, field_id: str) -> str:
    """The text of the error list attached to one field (empty when it has none)."""
    match = re.search(
        rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', html, re.S
    )
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def page_text(response) -> str:
    return unescape(response.content.decode())


def words(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(text))


# --- 1. pick the event -------------------------------------------------------------------


def test_anyone_can_search_the_events_to_sell_for(client):
    wanted = EventFactory(name="Lankum Live", city="Dublin")
    EventFactory(name="Other Band", city="Cork")
    EventFactory(name="Lankum Secret Draft", status=Event.Status.DRAFT)
    EventFactory(name="Lankum Last Year", event_date=timezone.localdate() - datetime.timedelta(1))

    response = client.get(reverse("listings:sell"), {"q": "lankum"})

    assert response.status_code == 200
    html = page_text(response)
    assert "Lankum Live" in html
    assert reverse("listings:sell-event", args=[wanted.pk]) in html
    assert "Other Band" not in html
    assert "Lankum Secret Draft" not in html
    assert "Lankum Last Year" not in html
    assert html.count("Sell for this event") == 1


def test_search_says_so_when_nothing_matches(client):
    EventFactory(name="Lankum Live")

    html = page_text(client.get(reverse("listings:sell"), {"q": "nothing like it"}))

    assert "No upcoming event matches “nothing like it”" in html


def test_sell_for_this_event_leads_through_the_login(client, event):
    url = reverse("listings:sell-event", args=[event.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={url}"


@pytest.mark.parametrize("event_count", [2, 20])
def test_sell_page_queries_do_not_grow_with_the_events_shown(
    client, seller, django_assert_max_num_queries, event_count
):
    for each in EventFactory.create_batch(event_count):
        ListingFactory(ticket__event=each)

    with django_assert_max_num_queries(5):
        response = client.get(reverse("listings:sell"))

    assert response.content.decode().count("Sell for this event") == min(event_count, 12)


# --- login and ownership ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("listings:sell-event", "get"),
        ("listings:sell-event", "post"),
        ("listings:list-ticket", "get"),
        ("listings:mine", "get"),
        ("listings:price", "post"),
        ("listings:cancel", "post"),
    ],
)
def test_seller_pages_require_login(client, name, method):
    listing = ListingFactory()
    args = {
        "listings:sell-event": [listing.ticket.event_id],
        "listings:list-ticket": [listing.ticket_id],
        "listings:price": [listing.pk],
        "listings:cancel": [listing.pk],
    }.get(name, [])
    url = reverse(name, args=args)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN_URL}?next=")


def test_a_draft_event_cannot_be_sold_for(client, seller):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert client.get(reverse("listings:sell-event", args=[draft.pk])).status_code == 404


# --- 2. upload and price ---------------------------------------------------------------------


def test_sell_form_has_the_labels_the_browser_tests_use(client, seller, event):
    response = client.get(reverse("listings:sell-event", args=[event.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for field_id, label in [
        ("id_file", "Ticket file"),
        # Optional: Encore reads the barcode from the file.
        ("id_barcode", 'Barcode <span class="optional">(optional)</span>'),
        ("id_face_value", "Face value"),
        ("id_price", "Price"),
    ]:
        assert f'<label for="{field_id}">{label}</label>' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<button type="submit" class="button">List my ticket</button>' in html
    # The live range: announced politely, and read with the price field.
    assert 'id="id_price_helptext" aria-live="polite"' in html
    assert 'aria-describedby="id_price_helptext"' in html
    assert f'data-price-range-url="{reverse("listings:price-range", args=[event.pk])}"' in html


def test_seller_uploads_and_lists_a_ticket_in_one_form(client, seller, event, private_dir):
    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form())

    assert response.status_code == 302
    assert response.url == reverse("listings:mine")
    ticket = Ticket.objects.get(owner=seller)
    assert (ticket.event, ticket.face_value, ticket.status) == (
        event,
        Decimal("50.00"),
        Ticket.Status.LISTED,
    )
    assert (ticket.section, ticket.row, ticket.seat) == ("A", "12", "7")
    assert ticket.barcode_last4 == "0001"
    assert ticket.file.read() == SELL_PDF
    listing = Listing.objects.get(ticket=ticket)
    assert (listing.seller, listing.price, listing.status) == (
        seller,
        Decimal("55.00"),
        Listing.Status.ACTIVE,
    )
    assert set(AuditLog.objects.values_list("action", flat=True)) >= {
        "ticket.uploaded",
        "listing.created",
    }
    html = page_text(client.get(response.url))
    assert "Your ticket for Fontaines D.C. at 3Arena is on sale at €55.00." in html
    assert "€55.00" in html


def test_price_over_the_cap_lists_nothing_and_says_the_maximum_on_the_price_field(
    client, seller, event
):
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]), sell_form(price="75.00")
    )

    # The ticket is uploaded and stays available; nothing is on sale.
    ticket = Ticket.objects.get(owner=seller)
    assert ticket.status == Ticket.Status.AVAILABLE
    assert not Listing.objects.exists()
    assert response.status_code == 302
    assert response.url == reverse("listings:list-ticket", args=[ticket.pk])

    page = client.get(response.url)
    html = page.content.decode()
    assert field_errors(html, "id_price") == ("At most €60.00 for this ticket (face value + 20%).")
    assert 'name="price" value="75.00"' in html
    assert '<button type="submit" class="button">List my ticket</button>' in html
    assert "uploaded but not on sale yet" in page_text(page)


def test_the_refused_price_is_shown_once(client, seller, event):
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]), sell_form(price="75.00")
    )
    client.get(response.url)

    again = client.get(response.url).content.decode()

    assert field_errors(again, "id_price") == ""


def test_seller_fixes_the_refused_price_on_the_same_page(client, seller, event):
    refused = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form(price="75.00"))
    client.get(refused.url)

    response = client.post(refused.url, {"price": "60.00"})

    assert response.status_code == 302
    assert response.url == reverse("listings:mine")
    listing = Listing.objects.get()
    assert (listing.price, listing.status, listing.ticket.status) == (
        Decimal("60.00"),
        Listing.Status.ACTIVE,
        Ticket.Status.LISTED,
    )


def test_price_below_the_floor_says_the_minimum(client, seller, event):
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]), sell_form(price="10.00"), follow=True
    )

    assert field_errors(response.content.decode(), "id_price") == (
        "At least €40.00 for this ticket (80% of face value)."
    )
    assert not Listing.objects.exists()


def test_duplicate_barcode_is_refused_on_the_barcode_field(client, seller, event, db_snapshot):
    TicketFactory(event=event, barcode="ENC-SELL-0001")
    tickets_before = list(Ticket.objects.values_list("pk", flat=True))

    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form())

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "id_barcode") == (
        "A ticket with this barcode is already on Encore for this event."
    )
    assert list(Ticket.objects.values_list("pk", flat=True)) == tickets_before
    assert not Listing.objects.exists()
    # The refusal itself is audit-logged (a fraud signal), nothing else is written.
    assert AuditLog.objects.filter(action="ticket.duplicate_barcode_refused").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field_id", "error"),
    [
        ({"file": None}, "id_file", "This field is required."),
        # The barcode is read from the file; typed, it is needed only without one.
        (
            {"barcode": "", "file": pdf(content=PDF_BYTES)},
            "id_barcode",
            "Encore could not read a barcode in this file: type the barcode printed on the "
            "ticket (Encore's staff then check the ticket before it can be sold).",
        ),
        ({"face_value": "lots"}, "id_face_value", "Enter a number."),
        ({"price": ""}, "id_price", "This field is required."),
        ({"price": "55.555"}, "id_price", "Ensure that there are no more than 2 decimal places."),
        (
            {"file": pdf("ticket.pdf", b"GIF89a not a ticket")},
            "id_file",
            "The ticket must be a PDF, PNG or JPEG file.",
        ),
        ({"barcode": "ab"}, "id_barcode", "A barcode has 4 to 128 characters."),
    ],
)
def test_bad_input_is_shown_on_its_field_and_changes_nothing(
    client, seller, event, db_snapshot, overrides, field_id, error
):
    before = db_snapshot()

    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    assert field_errors(html, field_id) == error
    assert "Please correct the following" in html
    assert db_snapshot() == before


def test_an_event_that_started_cannot_be_sold_for(client, seller, db_snapshot):
    started = EventFactory(
        event_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    before = db_snapshot()

    response = client.post(reverse("listings:sell-event", args=[started.pk]), sell_form())

    assert response.status_code == 200
    html = page_text(response)
    assert "cannot be sold on Encore" in html
    assert "List my ticket" not in html
    assert db_snapshot() == before


# --- the live price range ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "cap", "max_price"),
    [
        (Event.Category.CONCERT, "20", "60.00"),
        (Event.Category.SPORTS, "15", "57.50"),
        (Event.Category.THEATER, "25", "62.50"),
        (Event.Category.FESTIVAL, "30", "65.00"),
        (Event.Category.OTHER, "20", "60.00"),
    ],
)
def test_live_range_follows_the_category_cap_and_the_floor(client, category, cap, max_price):
    event = EventFactory(category=category)

    response = client.get(
        reverse("listings:price-range", args=[event.pk]), {"face_value": "50", "price": "50.00"}
    )

    assert response.status_code == 200
    data = response.json()
    assert data["max_price"] == max_price
    assert data["min_price"] == "40.00"
    assert data["max_markup_percent"] == cap
    assert data["floor_percent"] == "80"
    assert data["range_text"] == (
        f"Allowed price: €40.00 to €{max_price} (face value + {cap}% at most)."
    )
    assert (data["platform_fee"], data["seller_payout"]) == ("4.00", "46.00")
    assert data["payout_text"] == "You receive €46.00 after Encore's 8% fee."


@pytest.mark.parametrize(
    ("price", "check", "text"),
    [
        ("60.01", "above_max", "Too high: at most €60.00 for this ticket."),
        ("39.99", "below_min", "Too low: at least €40.00 for this ticket."),
        ("60.00", "ok", "You receive €55.20 after Encore's 8% fee."),
        ("40.00", "ok", "You receive €36.80 after Encore's 8% fee."),
    ],
)
def test_live_range_says_when_the_price_is_out_of_range(client, event, price, check, text):
    data = client.get(
        reverse("listings:price-range", args=[event.pk]), {"face_value": "50", "price": price}
    ).json()

    assert (data["price_check"], data["payout_text"]) == (check, text)


def test_live_range_follows_a_country_override(client, settings):
    settings.PRICE_MARKUP_CAPS_BY_COUNTRY = {"IE": {"*": "0"}}
    event = EventFactory(country="IE", category=Event.Category.FESTIVAL)

    data = client.get(reverse("listings:price-range", args=[event.pk]), {"face_value": "50"}).json()

    assert (data["max_price"], data["max_markup_percent"]) == ("50.00", "0")
    assert data["price"] is None


@pytest.mark.parametrize("face_value", ["", "abc", "0", "-5", "1.234"])
def test_live_range_refuses_a_face_value_that_is_not_an_amount(client, event, face_value):
    response = client.get(
        reverse("listings:price-range", args=[event.pk]), {"face_value": face_value}
    )

    assert response.status_code == 400
    assert "face_value" in response.json()["errors"]


def test_live_range_of_a_draft_event_is_404(client):
    draft = EventFactory(status=Event.Status.DRAFT)

    response = client.get(reverse("listings:price-range", args=[draft.pk]), {"face_value": "50"})

    assert response.status_code == 404


# --- list an uploaded ticket --------------------------------------------------------------------


def test_owner_sees_the_range_for_their_ticket_before_listing_it(client, seller):
    ticket = TicketFactory(owner=seller, event__category=Event.Category.THEATER)

    response = client.get(reverse("listings:list-ticket", args=[ticket.pk]))

    assert response.status_code == 200
    html = page_text(response)
    assert "Allowed price: €40.00 to €62.50 (face value + 25% at most)." in html
    assert 'data-face-value="50.00"' in html


def test_someone_elses_ticket_cannot_be_listed(client, seller, db_snapshot):
    ticket = TicketFactory()
    url = reverse("listings:list-ticket", args=[ticket.pk])
    before = db_snapshot()

    assert client.get(url).status_code == 404
    assert client.post(url, {"price": "50.00"}).status_code == 404
    assert db_snapshot() == before


def test_list_ticket_over_the_cap_shows_the_error_and_changes_nothing(client, seller, db_snapshot):
    ticket = TicketFactory(owner=seller, event__category=Event.Category.SPORTS)
    before = db_snapshot()

    response = client.post(reverse("listings:list-ticket", args=[ticket.pk]), {"price": "58.00"})

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "id_price") == (
        "At most €57.50 for this ticket (face value + 15%)."
    )
    assert db_snapshot() == before


def test_a_listed_ticket_offers_no_second_listing(client, seller):
    listing = ListingFactory(ticket__owner=seller)

    response = client.get(reverse("listings:list-ticket", args=[listing.ticket_id]))

    assert response.status_code == 200
    html = page_text(response)
    assert "already on sale" in html
    assert "List my ticket" not in html


# --- 3. my listings -----------------------------------------------------------------------------


def test_my_listings_show_status_price_and_payout_of_mine_only(client, seller):
    mine = ListingFactory(ticket__owner=seller, price=Decimal("55.00"))
    ListingFactory(ticket__owner=seller, status=Listing.Status.CANCELLED)
    other = ListingFactory(ticket__event__name="Someone Else's Gig")

    response = client.get(reverse("listings:mine"))

    assert response.status_code == 200
    html = page_text(response)
    assert "Someone Else's Gig" not in html
    assert reverse("listings:price", args=[other.pk]) not in html
    assert reverse("listings:price", args=[mine.pk]) in html
    assert reverse("listings:cancel", args=[mine.pk]) in html
    assert "€55.00" in html
    assert "You receive €50.60 after the €4.40 fee" in words(response)
    assert "Face €50.00, +10% (cap +20%)" in words(response)
    assert html.count('class="status status-active"') == 1
    assert html.count('class="status status-cancelled"') == 1
    # Only the active listing can be changed.
    assert html.count("Cancel listing") == 1


@pytest.mark.parametrize("listing_count", [2, 20])
def test_my_listings_queries_do_not_grow_with_the_listings_shown(
    client, seller, django_assert_max_num_queries, listing_count
):
    for _ in range(listing_count):
        ListingFactory(ticket__owner=seller)

    # The session and user, the count and the page of listings, and the
    # seller's payout account (for the notice when payout details are missing),
    # and the decided reports on the page's listings (one query for all of them).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("listings:mine"))

    assert response.content.decode().count('class="status status-active"') == listing_count


def test_seller_changes_the_price_within_the_cap(client, seller):
    listing = ListingFactory(ticket__owner=seller, price=Decimal("55.00"))

    response = client.post(
        reverse("listings:price", args=[listing.pk]), {f"listing-{listing.pk}-price": "59.50"}
    )

    assert response.status_code == 302
    assert response.url == reverse("listings:mine")
    listing.refresh_from_db()
    assert listing.price == Decimal("59.50")
    assert "The price is now €59.50." in page_text(client.get(response.url))


def test_price_over_the_cap_shows_next_to_that_listing_and_changes_nothing(
    client, seller, db_snapshot
):
    listing = ListingFactory(ticket__owner=seller, price=Decimal("55.00"))
    neighbour = ListingFactory(ticket__owner=seller)
    before = db_snapshot()

    response = client.post(
        reverse("listings:price", args=[listing.pk]), {f"listing-{listing.pk}-price": "61.00"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert field_errors(html, f"id_listing-{listing.pk}-price") == (
        "At most €60.00 for this ticket (face value + 20%)."
    )
    assert field_errors(html, f"id_listing-{neighbour.pk}-price") == ""
    assert f'name="listing-{listing.pk}-price" value="61.00"' in html
    assert db_snapshot() == before


def test_price_that_is_not_an_amount_is_refused_on_the_field(client, seller, db_snapshot):
    listing = ListingFactory(ticket__owner=seller)
    before = db_snapshot()

    response = client.post(
        reverse("listings:price", args=[listing.pk]), {f"listing-{listing.pk}-price": "cheap"}
    )

    assert field_errors(response.content.decode(), f"id_listing-{listing.pk}-price") == (
        "Enter a number."
    )
    assert db_snapshot() == before


def test_a_listing_a_buyer_is_paying_for_cannot_change_price_or_be_cancelled(
    client, seller, db_snapshot
):
    listing = ListingFactory(
        ticket__owner=seller, ticket__status=Ticket.Status.RESERVED, status=Listing.Status.PENDING
    )
    before = db_snapshot()

    price = client.post(
        reverse("listings:price", args=[listing.pk]),
        {f"listing-{listing.pk}-price": "56.00"},
        follow=True,
    )
    cancel = client.post(reverse("listings:cancel", args=[listing.pk]), follow=True)

    assert "This listing can no longer be changed." in page_text(price)
    assert "This listing is reserved, sold or already closed." in page_text(cancel)
    assert db_snapshot() == before


def test_seller_cancels_a_listing_and_the_ticket_is_theirs_again(client, seller):
    listing = ListingFactory(ticket__owner=seller)

    response = client.post(reverse("listings:cancel", args=[listing.pk]), {"page": "1"})

    assert response.status_code == 302
    assert response.url == reverse("listings:mine") + "?page=1"
    listing.refresh_from_db()
    listing.ticket.refresh_from_db()
    assert listing.status == Listing.Status.CANCELLED
    assert listing.ticket.status == Ticket.Status.AVAILABLE
    assert "is no longer on sale" in page_text(client.get(response.url))


@pytest.mark.parametrize("name", ["listings:price", "listings:cancel"])
def test_someone_elses_listing_is_404_and_unchanged(client, seller, db_snapshot, name):
    listing = ListingFactory()
    before = db_snapshot()

    response = client.post(
        reverse(name, args=[listing.pk]), {f"listing-{listing.pk}-price": "56.00"}
    )

    assert response.status_code == 404
    assert db_snapshot() == before


def test_price_and_cancel_answer_only_post(client, seller):
    listing = ListingFactory(ticket__owner=seller)

    assert client.get(reverse("listings:price", args=[listing.pk])).status_code == 405
    assert client.get(reverse("listings:cancel", args=[listing.pk])).status_code == 405
