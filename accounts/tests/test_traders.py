"""Selling as a private person or a trader (EU Digital Services Act, Art. 30;
Omnibus directive 2019/2161): the declaration, staff's review, and what it
means for listing, on the Selling as page, the sell pages and the API."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from accounts.traders import (
    seller_kind,
    trader_declaration_review,
    trader_declaration_save,
)
from events.models import Event
from events.tests.factories import EventFactory
from listings import tasks as listings_tasks
from listings.models import Listing
from listings.services import listing_create
from listings.tests.factories import ListingFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.files import ticket_pdf

pytestmark = pytest.mark.django_db

SELLING_AS = "/profile/selling-as/"
TRADER_API = "/api/v1/users/profile/trader"
QUEUE = reverse("admin:accounts_traderdeclaration_changelist")

COMPLETE = {
    "business_name": "Dublin Ticket Co. Ltd",
    "address": "1 Main Street, Dublin 1, D01 X2Y3, Ireland",
    "phone": "+353 1 555 0100",
    "email": "Sales@DublinTickets.example",
    "trade_register_name": "Companies Registration Office (Ireland)",
    "trade_register_number": "654321",
    "vat_number": "",
    "compliance_certified": True,
}


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch):
    """Ticket files written here go to this test's own folder."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)


@pytest.fixture
def seller():
    return UserFactory(name="Aoife Byrne")


@pytest.fixture
def ticket(seller):
    # A concert: price between 40.00 and 60.00.
    return TicketFactory(
        owner=seller, event=EventFactory(category="concert"), face_value=Decimal("50.00")
    )


def trader(user, **overrides):
    return trader_declaration_save(user=user, kind="trader", **{**COMPLETE, **overrides})


def audit_actions(declaration):
    return list(
        AuditLog.objects.filter(entity_type="traderdeclaration", entity_id=str(declaration.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def listed_before(seller, count, *, days_ago=10):
    """`count` tickets `seller` listed `days_ago` days ago."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    for _ in range(count):
        ListingFactory(ticket__owner=seller, listed_at=when, status=Listing.Status.SOLD)


# --- the declaration ------------------------------------------------------------------


def test_a_private_declaration_needs_no_review_and_keeps_no_business_details(seller):
    declaration = trader_declaration_save(user=seller, kind="private", business_name="Ignored")

    assert (declaration.kind, declaration.status) == ("private", "none")
    assert declaration.business_name == ""
    assert seller_kind(seller=seller).label == "Private seller"
    assert audit_actions(declaration) == ["trader_declaration.saved"]


def test_a_trader_missing_details_is_saved_incomplete_with_what_is_missing(seller):
    declaration = trader_declaration_save(
        user=seller, kind="trader", business_name="Dublin Ticket Co. Ltd"
    )

    assert (declaration.kind, declaration.status) == ("trader", "incomplete")
    entry = AuditLog.objects.get(entity_type="traderdeclaration")
    assert entry.changes["missing"] == [
        "address",
        "phone",
        "email",
        "trade_register_name",
        "trade_register_number",
        "compliance_certified",
    ]
    # The audit trail says which details changed, never their values.
    assert "Dublin Ticket Co. Ltd" not in str(entry.changes)


def test_complete_details_wait_for_review_and_show_the_business_name(seller):
    declaration = trader(seller)

    assert declaration.status == "pending_review"
    assert declaration.email == "sales@dublintickets.example"
    assert seller_kind(seller=seller).label == "Professional seller: Dublin Ticket Co. Ltd"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"email": "not-an-address"}, "email", "INVALID_EMAIL"),
        ({"phone": "call me"}, "phone", "INVALID_PHONE"),
        ({"business_name": "x" * 201}, "business_name", "TOO_LONG"),
    ],
)
def test_badly_formed_details_are_refused_and_change_nothing(
    seller, fields, field, reason, db_snapshot
):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        trader(seller, **fields)

    assert (exc.value.details["field"], exc.value.details["reason"]) == (field, reason)
    assert db_snapshot() == before


def test_an_unknown_kind_is_refused(seller):
    with pytest.raises(ValidationFailed) as exc:
        trader_declaration_save(user=seller, kind="company")

    assert exc.value.details["field"] == "kind"


# --- listing as a trader --------------------------------------------------------------


def test_a_trader_without_details_cannot_list(seller, ticket, db_snapshot):
    trader_declaration_save(user=seller, kind="trader", business_name="Dublin Ticket Co. Ltd")
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        listing_create(seller=seller, ticket=ticket, price="55.00")

    assert exc.value.details["field"] == "trader"
    assert exc.value.details["reason"] == "TRADER_DETAILS_MISSING"
    assert exc.value.details["missing"][0] == "address"
    assert exc.value.details["declarationUrl"] == SELLING_AS
    assert db_snapshot() == before


def test_a_trader_with_complete_details_lists_before_staff_review(seller, ticket):
    trader(seller)

    listing = listing_create(seller=seller, ticket=ticket, price="55.00")

    assert listing.status == Listing.Status.ACTIVE


def test_staff_rejection_stops_listing_and_emails_the_seller_the_reasons(
    seller, ticket, django_capture_on_commit_callbacks
):
    declaration = trader(seller)
    staff = StaffFactory()

    with django_capture_on_commit_callbacks(execute=True):
        trader_declaration_review(
            staff=staff,
            declaration=declaration,
            outcome="rejected",
            reason="No company with number 654321 in the register.",
        )

    declaration.refresh_from_db()
    assert (declaration.status, declaration.reviewed_by) == ("rejected", staff)
    seller.refresh_from_db()
    with pytest.raises(PermissionDenied) as exc:
        listing_create(seller=seller, ticket=ticket, price="55.00")
    assert exc.value.details["reason"] == "TRADER_DETAILS_REJECTED"
    (sent,) = mail.outbox
    assert sent.to == [seller.email]
    assert "No company with number 654321 in the register." in sent.body
    assert audit_actions(declaration) == [
        "trader_declaration.saved",
        "trader_declaration.rejected",
    ]


def _on_sale(seller, event=None, status="active"):
    ticket = TicketFactory(
        event=event or EventFactory(), owner=seller, face_value=Decimal("50.00"), status="listed"
    )
    return ListingFactory(ticket=ticket, seller=seller, price=Decimal("55.00"), status=status)


def test_a_rejection_takes_the_traders_tickets_off_sale(seller, django_capture_on_commit_callbacks):
    declaration = trader(seller)
    on_sale, other = _on_sale(seller), _on_sale(seller)
    being_bought = _on_sale(seller, status="pending")
    someone_elses = _on_sale(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        trader_declaration_review(
            staff=StaffFactory(), declaration=declaration, outcome="rejected", reason="No VAT id."
        )

    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert statuses == {
        on_sale.pk: "cancelled",
        other.pk: "cancelled",
        being_bought.pk: "pending",  # its sale finishes
        someone_elses.pk: "active",
    }
    assert Ticket.objects.get(pk=on_sale.ticket_id).status == Ticket.Status.AVAILABLE
    withdrawn = AuditLog.objects.filter(action="listing.withdrawn", actor=None)
    assert sorted(withdrawn.values_list("entity_id", flat=True)) == sorted(
        [str(on_sale.pk), str(other.pk)]
    )


def test_the_sweep_withdraws_what_a_lost_job_left_on_sale(seller):
    declaration = trader(seller)
    # given: the rejection committed, its job never ran (the broker was down)
    trader_declaration_review(
        staff=StaffFactory(), declaration=declaration, outcome="rejected", reason="No VAT id."
    )
    listing = _on_sale(seller)
    approved = trader(UserFactory())
    approved_listing = _on_sale(approved.user)

    assert listings_tasks.rejected_traders_listings_withdraw.delay().get() == 1

    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.CANCELLED
    assert Listing.objects.get(pk=approved_listing.pk).status == Listing.Status.ACTIVE
    assert listings_tasks.rejected_traders_listings_withdraw.delay().get() == 0


def test_corrected_details_after_a_rejection_list_again_only_once_approved(
    seller, ticket, django_capture_on_commit_callbacks
):
    staff = StaffFactory()
    trader_declaration_review(
        staff=staff, declaration=trader(seller), outcome="rejected", reason="Wrong number."
    )
    corrected = trader(seller, trade_register_number="123456")
    assert (corrected.status, corrected.approval_required) == ("pending_review", True)
    with pytest.raises(PermissionDenied) as exc:
        listing_create(seller=seller, ticket=ticket, price="55.00")
    assert exc.value.details["reason"] == "TRADER_REVIEW_PENDING"

    with django_capture_on_commit_callbacks(execute=True):
        trader_declaration_review(staff=staff, declaration=corrected, outcome="approved")

    seller.refresh_from_db()
    assert listing_create(seller=seller, ticket=ticket, price="55.00").status == "active"
    assert "approved" in mail.outbox[-1].subject


def test_a_rejected_trader_cannot_switch_to_private_to_go_on_listing(seller):
    trader_declaration_review(
        staff=StaffFactory(), declaration=trader(seller), outcome="rejected", reason="Fake."
    )

    with pytest.raises(ValidationFailed) as exc:
        trader_declaration_save(user=seller, kind="private")

    assert exc.value.details["reason"] == "TRADER_DETAILS_REJECTED"


def test_review_is_for_other_staff_with_reasons_for_a_rejection(seller):
    declaration = trader(seller)
    staff = StaffFactory()

    with pytest.raises(PermissionDenied):
        trader_declaration_review(staff=UserFactory(), declaration=declaration, outcome="approved")
    with pytest.raises(ValidationFailed) as exc:
        trader_declaration_review(staff=staff, declaration=declaration, outcome="rejected")
    assert exc.value.details["field"] == "reason"
    incomplete = trader_declaration_save(user=staff, kind="trader", business_name="Staff Ltd")
    with pytest.raises(PermissionDenied):
        trader_declaration_review(staff=staff, declaration=incomplete, outcome="approved")
    with pytest.raises(ValidationFailed) as exc:
        trader_declaration_review(staff=StaffFactory(), declaration=incomplete, outcome="approved")
    assert exc.value.details["reason"] == "NOT_REVIEWABLE"


# --- the yearly threshold for private sellers -----------------------------------------


@override_settings(TRADER_THRESHOLD_TICKETS_PER_YEAR=3)
def test_a_private_seller_past_the_threshold_is_asked_to_declare(seller, ticket):
    listed_before(seller, 3)
    # Listings older than a year do not count.
    listed_before(seller, 5, days_ago=400)

    with pytest.raises(ValidationFailed) as exc:
        listing_create(seller=seller, ticket=ticket, price="55.00")

    details = exc.value.details
    assert (details["reason"], details["threshold"], details["listed"]) == (
        "TRADER_DECLARATION_REQUIRED",
        3,
        3,
    )
    assert details["declarationUrl"] == SELLING_AS


@override_settings(TRADER_THRESHOLD_TICKETS_PER_YEAR=3)
def test_declaring_private_lets_the_seller_go_on_for_as_many_tickets_again(seller, ticket):
    listed_before(seller, 3)
    trader_declaration_save(user=seller, kind="private")

    assert listing_create(seller=seller, ticket=ticket, price="55.00").status == "active"
    # Two more since the declaration: the third after it asks again.
    for _ in range(2):
        ListingFactory(ticket__owner=seller)
    another = TicketFactory(owner=seller, event=ticket.event, face_value=Decimal("50.00"))
    with pytest.raises(ValidationFailed) as exc:
        listing_create(seller=seller, ticket=another, price="55.00")
    assert exc.value.details["reason"] == "TRADER_DECLARATION_REQUIRED"


@override_settings(TRADER_THRESHOLD_TICKETS_PER_YEAR=3)
def test_below_the_threshold_nobody_is_asked(seller, ticket):
    listed_before(seller, 2)

    assert listing_create(seller=seller, ticket=ticket, price="55.00").status == "active"


# --- the Selling as page --------------------------------------------------------------


def test_the_selling_as_page_has_labelled_fields_and_is_linked_from_the_sell_pages(
    client, seller, django_assert_max_num_queries
):
    client.force_login(seller)

    with django_assert_max_num_queries(8):
        response = client.get(SELLING_AS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<legend>I sell on Encore</legend>" in html
    assert '<label for="id_business_name">Business name' in html
    assert "(required for traders)" in html and "(optional)" in html
    assert f'href="{SELLING_AS}"' in client.get(reverse("listings:sell")).content.decode()
    assert f'href="{SELLING_AS}"' in client.get("/profile/").content.decode()


def test_the_page_needs_a_login(client):
    response = client.get(SELLING_AS)

    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_trader_saving_without_details_sees_each_missing_one_on_its_field(client, seller):
    client.force_login(seller)

    response = client.post(SELLING_AS, {"kind": "trader", "business_name": "Dublin Ticket Co."})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_address_error"' in html and "Enter your business&#x27;s postal address." in html
    assert 'id="id_trade_register_number_error"' in html
    assert 'id="id_business_name_error"' not in html
    assert seller.trader_declaration.status == "incomplete"


def test_a_trader_saving_complete_details_is_shown_as_a_professional_seller(client, seller):
    client.force_login(seller)

    response = client.post(SELLING_AS, {"kind": "trader", **COMPLETE})

    assert response.status_code == 302
    html = client.get(SELLING_AS).content.decode()
    assert "Professional seller: Dublin Ticket Co. Ltd" in html


def test_a_trader_without_details_cannot_list_on_the_sell_pages(client, seller, ticket):
    trader_declaration_save(user=seller, kind="trader")
    client.force_login(seller)

    # the "list this ticket" page
    response = client.post(reverse("listings:list-ticket", args=[ticket.pk]), {"price": "55.00"})
    assert response.status_code == 200
    assert "complete your business details on the Selling as page" in response.content.decode()
    # the sell page's one form: refused before the upload, nothing stored
    event = EventFactory(category=Event.Category.CONCERT)
    response = client.post(
        reverse("listings:sell-event", args=[event.pk]),
        {
            "file": _pdf(),
            "barcode": "ENC-TRADER-0001",
            "face_value": "50.00",
            "ticket_type": Ticket.Type.STANDING,
            "price": "55.00",
        },
    )
    assert response.status_code == 200
    assert "complete your business details on the Selling as page" in response.content.decode()
    assert not Listing.objects.exists()
    assert not Ticket.objects.filter(event=event).exists()


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "ticket.pdf", ticket_pdf("ENC-TRADER-0001"), content_type="application/pdf"
    )


# --- the API --------------------------------------------------------------------------


def test_the_api_reads_and_saves_the_declaration(api_as, seller):
    api = api_as(seller)

    empty = api.get(TRADER_API).json()["data"]
    saved = api.put(TRADER_API, {"kind": "trader", "business_name": "Co"}, format="json")

    assert (empty["kind"], empty["shown_as"]) == (None, "Private seller")
    data = saved.json()["data"]
    assert saved.status_code == 200
    assert (data["kind"], data["status"]) == ("trader", "incomplete")
    assert data["missing"][:2] == ["address", "phone"]
    assert data["shown_as"] == "Professional seller: Co"


def test_the_api_refuses_a_badly_formed_email_with_the_field(api_as, seller):
    response = api_as(seller).put(
        TRADER_API, {"kind": "trader", **COMPLETE, "email": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "email"


def test_a_trader_without_details_cannot_list_through_the_api(api_as, seller, ticket):
    api = api_as(seller)
    api.put(TRADER_API, {"kind": "trader"}, format="json")

    refused = api.post("/api/v1/listings", {"ticket_id": ticket.pk, "price": "55.00"})

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert (error["details"]["field"], error["details"]["reason"]) == (
        "trader",
        "TRADER_DETAILS_MISSING",
    )
    assert "business_name" in error["details"]["missing"]

    api.put(TRADER_API, {"kind": "trader", **COMPLETE}, format="json")
    listed = api.post("/api/v1/listings", {"ticket_id": ticket.pk, "price": "55.00"})

    assert listed.status_code == 201
    assert listed.json()["data"]["seller_kind"] == {
        "kind": "trader",
        "trader_name": "Dublin Ticket Co. Ltd",
        "label": "Professional seller: Dublin Ticket Co. Ltd",
    }


@override_settings(TRADER_THRESHOLD_TICKETS_PER_YEAR=2)
def test_the_api_asks_a_private_seller_past_the_threshold_to_declare(api_as, seller, ticket):
    listed_before(seller, 2)
    api = api_as(seller)

    refused = api.post("/api/v1/listings", {"ticket_id": ticket.pk, "price": "55.00"})
    api.put(TRADER_API, {"kind": "private"}, format="json")
    listed = api.post("/api/v1/listings", {"ticket_id": ticket.pk, "price": "55.00"})

    assert refused.status_code == 400
    details = refused.json()["error"]["details"]
    assert details["reason"] == "TRADER_DECLARATION_REQUIRED"
    assert (details["declarationUrl"], details["declarationApi"]) == (SELLING_AS, TRADER_API)
    assert listed.status_code == 201
    assert listed.json()["data"]["seller_kind"]["label"] == "Private seller"


# --- staff's queue --------------------------------------------------------------------


def test_staff_filter_the_queue_and_approve_or_reject_from_the_admin(
    client, django_capture_on_commit_callbacks
):
    pending = trader(UserFactory())
    private = trader_declaration_save(user=UserFactory(), kind="private")
    client.force_login(StaffFactory())

    queue = client.get(QUEUE, {"status__exact": "pending_review"}).content.decode()
    assert "Dublin Ticket Co. Ltd" in queue
    assert f"/{private.pk}/change/" not in queue

    with django_capture_on_commit_callbacks(execute=True):
        no_reason = client.post(
            QUEUE,
            {"action": "reject", ACTION_CHECKBOX_NAME: [pending.pk], "post": "yes", "note": ""},
        )
        rejected = client.post(
            QUEUE,
            {
                "action": "reject",
                ACTION_CHECKBOX_NAME: [pending.pk],
                "post": "yes",
                "note": "The address is a post office box.",
            },
        )

    assert no_reason.status_code == 302 and rejected.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.review_reason) == (
        "rejected",
        "The address is a post office box.",
    )
    assert len(mail.outbox) == 1
