"""The audit's finding, as tests: the fairness rules must not trust what the seller types.

"The price cap is computed from a face value the seller declares (face value
5000.00 for a 50.00 ticket lists at 6000.00 'within the cap'). The
duplicate-barcode guard compares typed text: fullwidth digits or a look-alike
letter pass as a new barcode, and the file itself is never compared."

Each case runs on the service, the API and the sell page.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import listing_create
from marketplace.core.errors import DuplicateTicket, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from tickets.models import Ticket
from tickets.services import ticket_upload
from tickets.tests.factories import TicketFactory
from tickets.tests.files import pdf_upload

pytestmark = pytest.mark.django_db

CODE = "DUP62409973"
FULLWIDTH = "DUP６２４０９９７３"
LOOK_ALIKE = "ĐUP62409973"  # U+0110, LATIN CAPITAL LETTER D WITH STROKE


@pytest.fixture
def event():
    return EventFactory(category=Event.Category.CONCERT)


@pytest.fixture
def first(event):
    """The genuine ticket, uploaded by its owner from the box office's PDF."""
    return ticket_upload(
        owner=UserFactory(),
        event=event,
        face_value="50.00",
        barcode=CODE,
        file=pdf_upload(CODE, lines=["Box office PDF", "Seat 12"]),
    )


def upload(owner, event, *, barcode, file, face_value="50.00"):
    return ticket_upload(
        owner=owner, event=event, face_value=face_value, barcode=barcode, file=file
    )


# --- service -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", [FULLWIDTH, LOOK_ALIKE], ids=["fullwidth", "look-alike"])
def test_retyped_barcode_with_a_file_of_the_same_code_is_a_duplicate(event, first, typed):
    # A screenshot of the same QR code, the barcode re-typed with other characters.
    with pytest.raises(DuplicateTicket) as error:
        upload(UserFactory(), event, barcode=typed, file=pdf_upload(CODE, lines=["Screenshot"]))

    assert error.value.details["reason"] == "DUPLICATE_BARCODE"
    assert Ticket.objects.filter(event=event).count() == 1
    assert AuditLog.objects.filter(action="ticket.duplicate_barcode_refused").count() == 1


def test_the_same_pdf_renamed_and_uploaded_again_is_a_duplicate(event, first):
    first.file.open("rb")
    content = first.file.read()
    first.file.close()
    from tickets.tests.files import as_upload

    with pytest.raises(DuplicateTicket) as error:
        upload(UserFactory(), event, barcode="SOMETHING-ELSE-1", file=as_upload(content, "x.pdf"))

    assert error.value.details == {"field": "file", "reason": "DUPLICATE_FILE"}
    assert Ticket.objects.filter(event=event).count() == 1
    assert AuditLog.objects.filter(action="ticket.duplicate_file_refused").count() == 1


def test_a_pdf_without_a_code_waits_for_staff_review_and_cannot_be_listed(event):
    seller = UserFactory()

    ticket = upload(seller, event, barcode="TYPED-ONLY-0001", file=pdf_upload(None))

    assert ticket.verification == Ticket.Verification.PENDING_REVIEW
    assert "NO_BARCODE_IN_FILE" in ticket.review_reasons
    with pytest.raises(TicketNotAvailable) as error:
        listing_create(seller=seller, ticket=ticket, price="50.00")
    assert error.value.details["reason"] == "TICKET_IN_REVIEW"
    assert not Listing.objects.exists()


def test_a_typed_barcode_that_disagrees_with_the_file_is_refused(event):
    with pytest.raises(ValidationFailed) as error:
        upload(UserFactory(), event, barcode="ENC-0000-0001", file=pdf_upload("ENC-0000-0002"))

    assert error.value.details["field"] == "barcode"
    assert error.value.details["reason"] == "BARCODE_MISMATCH"
    assert not Ticket.objects.exists()


def test_an_over_declared_face_value_cannot_be_listed_above_the_verified_cap(event):
    # given the event's other tickets, verified at 50.00
    for _ in range(3):
        TicketFactory(event=event, face_value=Decimal("50.00"))
    seller = UserFactory()

    # when a seller declares 5000.00 for the same kind of ticket
    ticket = upload(
        seller,
        event,
        barcode="ENC-OVER-0001",
        file=pdf_upload("ENC-OVER-0001"),
        face_value="5000.00",
    )

    # then 6000.00 is not "within the cap"
    with pytest.raises((TicketNotAvailable, ValidationFailed)):
        listing_create(seller=seller, ticket=ticket, price="6000.00")
    assert not Listing.objects.exists()


def test_the_chosen_tier_sets_the_face_value(event):
    from events.models import PriceTier

    tier = PriceTier.objects.create(
        event=event, name="Standing", face_value=Decimal("49.50"), fees=Decimal("5.50")
    )

    ticket = ticket_upload(
        owner=UserFactory(), event=event, tier_id=tier.pk, barcode="", file=pdf_upload("ENC-T-1")
    )

    assert (ticket.face_value, ticket.original_fees, ticket.tier) == (
        Decimal("49.50"),
        Decimal("5.50"),
        tier,
    )
    assert ticket.verification == Ticket.Verification.VERIFIED


# --- API ---------------------------------------------------------------------------


def api_upload(client, event, *, barcode, file, face_value="50.00", **extra):
    form = {"event_id": event.pk, "face_value": face_value, "barcode": barcode, "file": file}
    form.update(extra)
    return client.post("/api/v1/tickets/upload", form, format="multipart")


@pytest.mark.parametrize("typed", [FULLWIDTH, LOOK_ALIKE], ids=["fullwidth", "look-alike"])
def test_api_retyped_barcode_with_the_same_code_is_409(api_as, event, first, typed):
    response = api_upload(
        api_as(UserFactory()), event, barcode=typed, file=pdf_upload(CODE, lines=["Screenshot"])
    )

    error = error_of(response, 409, "DUPLICATE_TICKET")
    assert error["details"]["reason"] == "DUPLICATE_BARCODE"


def test_api_typed_barcode_that_disagrees_with_the_file_is_400(api_as, event):
    response = api_upload(
        api_as(UserFactory()), event, barcode="ENC-0000-0001", file=pdf_upload("ENC-0000-0002")
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "BARCODE_MISMATCH"


def test_api_over_declared_face_value_cannot_be_listed(api_as, event):
    for _ in range(3):
        TicketFactory(event=event, face_value=Decimal("50.00"))
    client = api_as(UserFactory())
    uploaded = ok_data(
        api_upload(
            client,
            event,
            barcode="ENC-OVER-0002",
            file=pdf_upload("ENC-OVER-0002"),
            face_value="5000.00",
        ),
        201,
    )

    response = client.post(
        "/api/v1/listings", {"ticket_id": uploaded["id"], "price": "6000.00"}, format="json"
    )

    assert response.status_code in (400, 409)
    assert not Listing.objects.exists()


# --- the sell page -----------------------------------------------------------------


def test_page_over_declared_face_value_is_not_put_on_sale(client, event):
    for _ in range(3):
        TicketFactory(event=event, face_value=Decimal("50.00"))
    seller = UserFactory()
    client.force_login(seller)

    client.post(
        reverse("listings:sell-event", args=[event.pk]),
        {
            "file": pdf_upload("ENC-OVER-0003"),
            "barcode": "ENC-OVER-0003",
            "face_value": "5000.00",
            "ticket_type": Ticket.Type.SEATED,
            "price": "6000.00",
        },
    )

    assert not Listing.objects.exists()
