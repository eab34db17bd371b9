"""The sell page's use case as one service (listings.services.ticket_upload_and_list):
upload the ticket, then list it at the price; what each outcome leaves behind."""

from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import ticket_upload_and_list
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLog
from tickets.models import Ticket
from tickets.tests.factories import PDF_BYTES
from tickets.tests.files import as_upload, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch):
    """Ticket files written here go to this test's own folder."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


@pytest.fixture
def seller():
    return UserFactory()


@pytest.fixture
def event():
    return EventFactory(category=Event.Category.CONCERT)


def sell(seller, event, *, price="55.00", code="ENC-SALE-0001", **overrides):
    upload = {
        "file": pdf_upload(code),
        "face_value": Decimal("50.00"),
        "ticket_type": "seated",
        "seat": "12",
    }
    upload.update(overrides)
    return ticket_upload_and_list(seller=seller, event=event, price=price, **upload)


def test_a_verified_ticket_is_uploaded_and_on_sale_at_the_price(seller, event):
    sale = sell(seller, event)

    assert sale.refusal is None and not sale.in_review
    assert (sale.listing.price, sale.listing.status) == (Decimal("55.00"), Listing.Status.ACTIVE)
    assert sale.listing.ticket == sale.ticket
    assert Ticket.objects.get(pk=sale.ticket.pk).status == Ticket.Status.LISTED
    assert set(AuditLog.objects.values_list("action", flat=True)) >= {
        "ticket.uploaded",
        "listing.created",
    }


def test_a_price_over_the_cap_keeps_the_ticket_and_returns_the_refusal(seller, event):
    sale = sell(seller, event, price="75.00")

    # The upload stands: the seller fixes the price of this ticket, not a new upload.
    assert sale.listing is None and not sale.in_review
    assert isinstance(sale.refusal, ValidationFailed)
    assert sale.refusal.details == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": "60.00",
        "provided": "75.00",
    }
    ticket = Ticket.objects.get(pk=sale.ticket.pk)
    assert (ticket.owner, ticket.status) == (seller, Ticket.Status.AVAILABLE)
    assert not Listing.objects.exists()


def test_a_ticket_that_waits_for_staff_is_kept_and_not_listed(seller, event):
    sale = sell(seller, event, file=as_upload(PDF_BYTES), barcode="PAPER-0001")

    assert sale.in_review
    assert (sale.listing, sale.refusal) == (None, None)
    assert sale.ticket.verification == Ticket.Verification.PENDING_REVIEW
    assert not Listing.objects.exists()


def test_a_refused_upload_raises_and_stores_nothing(seller):
    draft = EventFactory(status=Event.Status.DRAFT)

    with pytest.raises(ValidationFailed) as error:
        sell(seller, draft)

    assert error.value.details["field"] == "event"
    assert not Ticket.objects.exists()
    assert not Listing.objects.exists()


def test_a_refused_upload_of_bad_input_raises_its_validation_error(seller, event):
    with pytest.raises(ValidationFailed) as error:
        sell(seller, event, face_value=Decimal("0.00"))

    assert error.value.details["field"] == "face_value"
    assert not Ticket.objects.exists()
    assert not Listing.objects.exists()
