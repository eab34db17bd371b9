"""What an upload proves and what waits for staff: the barcode read from the file,
the face value from the organizer's tier or compared with the event's, on the
service, the API and the sell page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from events.models import PriceTier
from events.tests.factories import EventFactory
from listings.models import Listing
from listings.services import listing_create
from marketplace.core.errors import DuplicateTicket, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from tickets.barcodes import barcode_hash
from tickets.models import Ticket
from tickets.services import ticket_upload
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.files import as_upload, pdf_upload, ticket_png
from tickets.tests.helpers import counts, stored_files

pytestmark = pytest.mark.django_db


def upload(owner, event, code="ENC-RULES-0001", **overrides):
    arguments = {"owner": owner, "event": event, "face_value": "50.00", "file": pdf_upload(code)}
    arguments.update(overrides)
    return ticket_upload(**arguments)


@pytest.fixture
def unchanged(private_dir):
    before = counts()
    yield
    assert counts() == before
    assert stored_files(private_dir) == []


def refused(error, field, reason):
    assert (error.value.code, error.value.details["field"], error.value.details["reason"]) == (
        "VALIDATION_ERROR",
        field,
        reason,
    )


# --- the barcode comes from the file ---------------------------------------------------


def test_the_barcode_is_read_from_the_file_when_none_is_typed(seller, event):
    ticket = upload(seller, event, "ENC-RULES-0042", barcode="")

    assert ticket.barcode_hash == barcode_hash("ENC-RULES-0042")
    assert (ticket.barcode_last4, ticket.barcode_source) == ("0042", Ticket.BarcodeSource.FILE)
    assert ticket.verification == Ticket.Verification.VERIFIED
    assert ticket.review_reasons == []


def test_a_typed_barcode_that_agrees_with_the_file_is_accepted_however_typed(seller, event):
    ticket = upload(seller, event, "ENC-RULES-0042", barcode="ｅｎｃ ｒｕｌｅｓ ００４２")

    assert ticket.barcode_hash == barcode_hash("ENC-RULES-0042")


def test_a_screenshot_is_evidence_too(seller, event):
    ticket = upload(seller, event, file=as_upload(ticket_png("ENC-RULES-0099"), "shot.png"))

    assert (ticket.barcode_last4, ticket.verification) == ("0099", Ticket.Verification.VERIFIED)


def test_a_mismatch_changes_nothing_and_names_the_files_last_four(seller, event, unchanged):
    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, "ENC-RULES-0001", barcode="ENC-RULES-0002")

    refused(error, "barcode", "BARCODE_MISMATCH")
    assert "0001" in error.value.message


def test_an_unreadable_file_is_refused_and_changes_nothing(seller, event, unchanged):
    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, file=as_upload(b"%PDF-1.7\n garbage"), barcode="ENC-RULES-0001")

    refused(error, "file", "UNREADABLE_FILE")


def test_a_typed_only_barcode_must_be_ascii(seller, event, unchanged):
    # No file confirms it: a look-alike letter would pass for a new barcode.
    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, file=as_upload(PDF_BYTES), barcode="ĐUP62409973")

    refused(error, "barcode", "INVALID_CHARACTERS")


def test_a_typed_only_barcode_of_an_active_ticket_is_a_duplicate(seller, event):
    existing = TicketFactory(event=event, barcode="DUP62409973")

    with pytest.raises(DuplicateTicket) as error:
        upload(seller, event, file=as_upload(PDF_BYTES), barcode="dup６２４０９９７３")

    assert error.value.details == {"field": "barcode", "reason": "DUPLICATE_BARCODE"}
    entry = AuditLog.objects.get(action="ticket.duplicate_barcode_refused")
    assert entry.changes["existing_ticket_id"] == existing.pk


def test_the_same_file_for_another_event_is_another_ticket(seller, event):
    content = pdf_upload("ENC-RULES-0001").read()
    upload(seller, EventFactory(), file=as_upload(content))

    assert upload(seller, event, file=as_upload(content)).file_sha256


def test_a_void_tickets_file_may_be_uploaded_again(seller, event):
    old = upload(UserFactory(), event, "ENC-RULES-0001")
    Ticket.objects.filter(pk=old.pk).update(status=Ticket.Status.VOID)
    old.file.open("rb")
    content = old.file.read()
    old.file.close()

    ticket = upload(seller, event, file=as_upload(content))

    assert ticket.file_sha256 == old.file_sha256


def test_the_same_file_audit_names_the_ticket_it_copies(seller, event):
    first = upload(UserFactory(), event, "ENC-RULES-0001")
    first.file.open("rb")
    content = first.file.read()
    first.file.close()

    with pytest.raises(DuplicateTicket):
        upload(seller, event, file=as_upload(content, "renamed.pdf"), barcode="whatever-typed")

    entry = AuditLog.objects.get(action="ticket.duplicate_file_refused")
    assert (entry.actor, entry.entity_id) == (seller, str(first.pk))
    assert entry.changes == {
        "event_id": event.pk,
        "barcode_last4": "0001",
        "existing_ticket_id": first.pk,
        "existing_owner_id": first.owner_id,
    }


def test_a_file_without_a_code_keeps_the_typed_barcode_for_staff(seller, event):
    ticket = upload(seller, event, file=as_upload(PDF_BYTES), barcode="PAPER-0001")

    assert (ticket.barcode_source, ticket.barcode_last4) == (Ticket.BarcodeSource.TYPED, "0001")
    assert ticket.verification == Ticket.Verification.PENDING_REVIEW
    assert ticket.review_reasons == [Ticket.REVIEW_NO_BARCODE_IN_FILE]
    audit = AuditLog.objects.get(action="ticket.uploaded")
    assert (audit.changes["verification"], audit.changes["review_reasons"]) == (
        "pending_review",
        ["NO_BARCODE_IN_FILE"],
    )


# --- the face value: a tier's, or compared with the event's -------------------------------


@pytest.fixture
def tiers(event):
    return {
        "standing": PriceTier.objects.create(
            event=event, name="Standing", face_value=Decimal("49.50"), fees=Decimal("5.50")
        ),
        "seated": PriceTier.objects.create(event=event, name="Seated", face_value=Decimal("79.00")),
    }


def test_a_tier_chosen_on_upload_sets_the_face_value_and_fees(seller, event, tiers):
    ticket = upload(seller, event, face_value=None, tier_id=tiers["standing"].pk)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.face_value, ticket.original_fees) == (
        tiers["standing"],
        Decimal("49.50"),
        Decimal("5.50"),
    )
    assert ticket.verification == Ticket.Verification.VERIFIED
    audit = AuditLog.objects.get(action="ticket.uploaded")
    assert (audit.changes["tier_id"], audit.changes["original_fees"]) == (
        tiers["standing"].pk,
        "5.50",
    )


def test_a_tier_makes_any_face_value_verified_however_high(seller, event):
    vip = PriceTier.objects.create(event=event, name="VIP", face_value=Decimal("900.00"))
    TicketFactory(event=event, face_value=Decimal("50.00"))

    ticket = upload(seller, event, face_value=None, tier_id=vip.pk)

    assert ticket.verification == Ticket.Verification.VERIFIED


def test_a_face_value_that_agrees_with_the_tier_is_accepted(seller, event, tiers):
    ticket = upload(seller, event, face_value="49.50", tier_id=tiers["standing"].pk)

    assert ticket.face_value == Decimal("49.50")


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"tier_id": None}, "tier_id", "REQUIRED"),
        ({"tier_id": ""}, "tier_id", "REQUIRED"),
        ({"tier_id": 10**9}, "tier_id", "INVALID_CHOICE"),
        ({"tier_id": "seated"}, "tier_id", "INVALID_CHOICE"),
        ({"face_value": "5000.00"}, "face_value", "FACE_VALUE_NOT_TIER"),
    ],
)
def test_an_event_with_tiers_refuses_an_upload_without_its_tier(
    seller, event, tiers, unchanged, overrides, field, reason
):
    arguments = {"face_value": None, "tier_id": tiers["standing"].pk, **overrides}

    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, **arguments)

    refused(error, field, reason)


def test_another_events_tier_is_refused(seller, event, tiers, unchanged):
    other = PriceTier.objects.create(event=EventFactory(), name="X", face_value=Decimal("10"))

    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, face_value=None, tier_id=other.pk)

    refused(error, "tier_id", "INVALID_CHOICE")


def test_an_event_without_tiers_refuses_a_tier(seller, event, unchanged):
    with pytest.raises(ValidationFailed) as error:
        upload(seller, event, tier_id=1)

    refused(error, "tier_id", "INVALID_CHOICE")


def verified_at(event, *amounts):
    for amount in amounts:
        TicketFactory(event=event, face_value=Decimal(amount))


@pytest.mark.parametrize(
    ("others", "typed", "waits"),
    [
        (("50.00", "50.00", "60.00"), "100.00", False),  # at 2 x the median: fine
        (("50.00", "50.00", "60.00"), "100.01", True),  # above it: staff check
        (("40.00", "60.00"), "100.00", False),  # even count: the mean of the middle two
        (("40.00", "60.00"), "100.50", True),
        ((), "250.00", False),  # the first ticket: up to FACE_VALUE_REVIEW_FIRST_MAX
        ((), "250.01", True),
    ],
)
def test_a_typed_face_value_far_above_the_events_waits_for_staff(
    seller, event, others, typed, waits
):
    verified_at(event, *others)

    ticket = upload(seller, event, face_value=typed)

    assert (ticket.verification == Ticket.Verification.PENDING_REVIEW) is waits
    assert (Ticket.REVIEW_FACE_VALUE_HIGH in ticket.review_reasons) is waits


def test_the_median_counts_only_other_sellers_verified_tickets_that_admit(seller, event):
    verified_at(event, "50.00")
    # None of these sets the yardstick: the seller's own, unverified, void.
    TicketFactory(event=event, owner=seller, face_value=Decimal("400.00"))
    TicketFactory(
        event=event,
        face_value=Decimal("400.00"),
        verification=Ticket.Verification.PENDING_REVIEW,
    )
    TicketFactory(event=event, face_value=Decimal("400.00"), status=Ticket.Status.VOID)

    ticket = upload(seller, event, face_value="150.00")

    assert ticket.review_reasons == [Ticket.REVIEW_FACE_VALUE_HIGH]
    reference = AuditLog.objects.get(action="ticket.uploaded").changes["face_value_reference"]
    assert reference == {"median": "50.00", "review_above": "100.00"}


def test_the_review_thresholds_are_settings(seller, event, settings):
    settings.FACE_VALUE_REVIEW_FIRST_MAX = Decimal("20.00")

    assert upload(seller, event, face_value="20.01").review_reasons == ["FACE_VALUE_HIGH"]


def test_both_reasons_are_kept(seller, event):
    verified_at(event, "50.00")

    ticket = upload(
        seller, event, file=as_upload(PDF_BYTES), barcode="PAPER-0002", face_value="500.00"
    )

    assert ticket.review_reasons == ["NO_BARCODE_IN_FILE", "FACE_VALUE_HIGH"]


def test_a_ticket_in_review_cannot_be_listed_until_approved(seller, event):
    verified_at(event, "50.00")
    ticket = upload(seller, event, face_value="5000.00")

    with pytest.raises(TicketNotAvailable) as error:
        listing_create(seller=seller, ticket=ticket, price="50.00")

    assert error.value.details == {"field": "ticket", "reason": "TICKET_IN_REVIEW"}
    assert not Listing.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AVAILABLE


def test_a_rejected_ticket_can_never_be_listed(seller, event):
    ticket = TicketFactory(owner=seller, event=event, verification=Ticket.Verification.REJECTED)

    with pytest.raises(TicketNotAvailable) as error:
        listing_create(seller=seller, ticket=ticket, price="50.00")

    assert error.value.details["reason"] == "TICKET_REJECTED"


# --- the API ---------------------------------------------------------------------------


def post(client, event, **form):
    return client.post("/api/v1/tickets/upload", {"event_id": event.pk, **form}, format="multipart")


def test_api_upload_with_a_tier_and_no_barcode(api_as, seller, event, tiers):
    response = post(
        api_as(seller), event, tier_id=tiers["seated"].pk, file=pdf_upload("ENC-API-0001")
    )

    data = ok_data(response, 201)
    assert data["tier"] == {"id": tiers["seated"].pk, "name": "Seated"}
    assert (data["face_value"], data["original_fees"]) == ("79.00", "0.00")
    assert (data["barcode_last4"], data["barcode_source"]) == ("0001", "file")
    assert (data["verification"], data["review_reasons"], data["review_note"]) == (
        "verified",
        [],
        "",
    )


def test_api_upload_for_an_event_with_tiers_needs_the_tier(api_as, seller, event, tiers):
    response = post(api_as(seller), event, face_value="49.50", file=pdf_upload("ENC-API-0002"))

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "tier_id"
    # The tiers to choose from, cheapest first.
    assert error["details"]["allowed"] == [tiers["standing"].pk, tiers["seated"].pk]


def test_api_shows_the_review_state_and_refuses_the_listing(api_as, seller, event):
    client = api_as(seller)
    data = ok_data(
        post(client, event, face_value="45.00", barcode="PAPER-0003", file=as_upload(PDF_BYTES)),
        201,
    )
    assert (data["verification"], data["review_reasons"], data["barcode_source"]) == (
        "pending_review",
        ["NO_BARCODE_IN_FILE"],
        "typed",
    )

    response = client.post(
        "/api/v1/listings", {"ticket_id": data["id"], "price": "45.00"}, format="json"
    )

    error = error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert error["details"]["reason"] == "TICKET_IN_REVIEW"
    detail = ok_data(client.get(f"/api/v1/tickets/{data['id']}"))
    assert detail["verification"] == "pending_review"


def test_api_same_file_again_is_409_duplicate_file(api_as, seller, event):
    content = pdf_upload("ENC-API-0004").read()
    ok_data(post(api_as(UserFactory()), event, face_value="40.00", file=as_upload(content)), 201)

    response = post(
        api_as(seller), event, face_value="40.00", barcode="X-TYPED-1", file=as_upload(content)
    )

    error = error_of(response, 409, "DUPLICATE_TICKET")
    assert error["details"] == {"field": "file", "reason": "DUPLICATE_FILE"}


def test_api_malformed_pdf_is_400_never_500(api_as, seller, event, db_snapshot):
    before = db_snapshot()

    response = post(
        api_as(seller), event, face_value="40.00", file=as_upload(b"%PDF-1.4\n\x00\xff broken")
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "file", "reason": "UNREADABLE_FILE"}
    assert db_snapshot() == before


# --- the sell page ---------------------------------------------------------------------


@pytest.fixture
def page(client, seller):
    client.force_login(seller)
    return client


def sell(page, event, **form):
    data = {"ticket_type": "general_admission", "price": "50.00", "barcode": "", **form}
    return page.post(reverse("listings:sell-event", args=[event.pk]), data)


def test_the_sell_page_offers_the_tiers_instead_of_a_face_value(page, event, tiers):
    html = page.get(reverse("listings:sell-event", args=[event.pk])).content.decode()

    assert 'name="face_value"' not in html
    assert (
        f'<option value="{tiers["standing"].pk}" data-face-value="49.50" data-fees="5.50">' in html
    )
    assert "Standing: €49.50 + €5.50 fees" in html


def test_the_sell_page_lists_a_ticket_of_the_tier_chosen(page, seller, event, tiers):
    response = sell(page, event, tier=str(tiers["standing"].pk), file=pdf_upload("ENC-P-1"))

    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.ticket.tier, listing.ticket.face_value) == (
        tiers["standing"],
        Decimal("49.50"),
    )


def test_the_sell_page_needs_the_tier(page, event, tiers, db_snapshot):
    before = db_snapshot()

    response = sell(page, event, file=pdf_upload("ENC-P-2"))

    assert response.status_code == 200
    assert 'id="id_tier_error"' in response.content.decode()
    assert db_snapshot() == before


def test_the_sell_page_shows_a_mismatch_on_the_barcode_field(page, event):
    response = sell(page, event, face_value="50.00", barcode="ENC-P-9", file=pdf_upload("ENC-P-3"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_barcode_error"' in html
    assert "is not the one in the file" in html
    assert not Ticket.objects.exists()


def test_the_sell_page_sends_a_high_face_value_to_my_tickets_to_wait(page, seller, event):
    verified_at(event, "50.00", "55.00")

    response = sell(page, event, face_value="500.00", price="550.00", file=pdf_upload("ENC-P-4"))

    assert response.status_code == 302
    assert response.url == reverse("tickets:mine")
    assert not Listing.objects.exists()
    html = page.get(response.url).content.decode()
    assert "far above this event&#x27;s other tickets" in html
    assert "Waiting for Encore&#x27;s check" in html
    ticket = Ticket.objects.get(owner=seller)
    assert reverse("listings:list-ticket", args=[ticket.pk]) not in html
    listing_page = page.get(reverse("listings:list-ticket", args=[ticket.pk])).content.decode()
    assert "check this ticket before it can go on sale" in listing_page
    assert 'name="price"' not in listing_page
