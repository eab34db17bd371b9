"""Staff review what the file cannot prove: approve (correcting the face value) or
reject, through services, audited; the admin's queue, review page and file."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from listings.models import Listing
from listings.services import listing_create
from marketplace.core.errors import PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from tickets.models import Ticket
from tickets.services import (
    ticket_file_open_for_review,
    ticket_review_approve,
    ticket_review_reject,
    ticket_upload,
)
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.files import as_upload, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def over_declared(seller, event):
    """The audit's case: other tickets at 50.00, this one declared at 5000.00."""
    for _ in range(3):
        TicketFactory(event=event, face_value=Decimal("50.00"))
    return ticket_upload(
        owner=seller, event=event, face_value="5000.00", file=pdf_upload("ENC-REVIEW-0001")
    )


def in_review(**overrides):
    fields = {
        "verification": Ticket.Verification.PENDING_REVIEW,
        "barcode_source": Ticket.BarcodeSource.TYPED,
        "review_reasons": [Ticket.REVIEW_NO_BARCODE_IN_FILE],
        **overrides,
    }
    return TicketFactory(**fields)


# --- the services ----------------------------------------------------------------------


def test_staff_approve_with_the_face_value_printed_and_the_cap_follows_it(
    staff, seller, over_declared
):
    assert over_declared.review_reasons == [Ticket.REVIEW_FACE_VALUE_HIGH]

    ticket = ticket_review_approve(
        staff=staff, ticket=over_declared, face_value="50.00", note="Ticket says 50.00"
    )

    # then 6000.00 is refused on the verified face value, 60.00 is the most
    assert (ticket.verification, ticket.face_value) == ("verified", Decimal("50.00"))
    with pytest.raises(ValidationFailed) as error:
        listing_create(seller=seller, ticket=ticket, price="6000.00")
    assert error.value.details == {
        "field": "price",
        "reason": "PRICE_EXCEEDS_MAX_MARKUP",
        "maxAllowed": "60.00",
        "provided": "6000.00",
    }
    assert listing_create(seller=seller, ticket=ticket, price="60.00").price == Decimal("60.00")
    entry = AuditLog.objects.get(action="ticket.review_approved")
    assert (entry.actor, entry.entity_id) == (staff, str(ticket.pk))
    assert entry.changes == {
        "verification": {"from": "pending_review", "to": "verified"},
        "review_reasons": ["FACE_VALUE_HIGH"],
        "note": "Ticket says 50.00",
        "face_value": {"from": "5000.00", "to": "50.00"},
    }


def test_staff_approve_as_declared(staff):
    ticket = in_review()

    approved = ticket_review_approve(staff=staff, ticket=ticket)

    assert (approved.verification, approved.face_value, approved.reviewed_by) == (
        "verified",
        ticket.face_value,
        staff,
    )
    assert approved.reviewed_at is not None
    assert "face_value" not in AuditLog.objects.get(action="ticket.review_approved").changes


def test_staff_reject_and_the_ticket_can_never_be_listed(staff):
    ticket = in_review()

    rejected = ticket_review_reject(staff=staff, ticket=ticket, note="A photo of a photo.")

    assert (rejected.verification, rejected.review_note) == ("rejected", "A photo of a photo.")
    with pytest.raises(TicketNotAvailable):
        listing_create(seller=ticket.owner, ticket=rejected, price="50.00")
    entry = AuditLog.objects.get(action="ticket.review_rejected")
    assert entry.changes["verification"] == {"from": "pending_review", "to": "rejected"}


def test_a_rejected_ticket_may_be_approved_after_all(staff):
    ticket = ticket_review_reject(staff=staff, ticket=in_review())

    assert ticket_review_approve(staff=staff, ticket=ticket).verification == "verified"


@pytest.mark.parametrize("decide", [ticket_review_approve, ticket_review_reject])
def test_a_verified_ticket_is_not_reviewed_again(staff, db_snapshot, decide):
    ticket = TicketFactory()
    before = db_snapshot()

    with pytest.raises(TicketNotAvailable) as error:
        decide(staff=staff, ticket=ticket)

    assert error.value.details["reason"] == "NOT_IN_REVIEW"
    assert db_snapshot() == before


@pytest.mark.parametrize("decide", [ticket_review_approve, ticket_review_reject])
def test_only_staff_review(db_snapshot, decide):
    ticket = in_review()
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        decide(staff=ticket.owner, ticket=ticket)

    assert db_snapshot() == before


@pytest.mark.parametrize("face_value", ["0", "-1", "abc", "1.001"])
def test_a_bad_corrected_face_value_changes_nothing(staff, db_snapshot, face_value):
    ticket = in_review()
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as error:
        ticket_review_approve(staff=staff, ticket=ticket, face_value=face_value)

    assert error.value.details["field"] == "face_value"
    assert db_snapshot() == before


def test_staff_open_the_file_to_review_it_and_it_is_audited(staff):
    ticket = in_review(file_content=PDF_BYTES)

    handle, content_type, filename = ticket_file_open_for_review(staff=staff, ticket=ticket)

    with handle:
        assert handle.read() == PDF_BYTES
    assert (content_type, filename) == ("application/pdf", f"encore-ticket-{ticket.pk}.pdf")
    entry = AuditLog.objects.get(action="ticket.file_opened_by_staff")
    assert (entry.actor, entry.entity_id) == (staff, str(ticket.pk))


def test_a_non_staff_user_cannot_open_a_ticket_file_for_review():
    ticket = in_review()

    with pytest.raises(PermissionDenied):
        ticket_file_open_for_review(staff=UserFactory(), ticket=ticket)


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


QUEUE = "admin:tickets_ticketinreview_changelist"


def review_url(ticket):
    return reverse("admin:tickets_ticketinreview_review", args=[ticket.pk])


def test_the_queue_lists_only_tickets_waiting_oldest_first(staff_client):
    first, second = in_review(), in_review()
    TicketFactory()  # verified
    in_review(verification=Ticket.Verification.REJECTED)

    response = staff_client.get(reverse(QUEUE))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [first, second]
    assert review_url(first) in response.content.decode()


def test_the_review_page_shows_why_the_usual_face_value_and_the_file(staff_client, over_declared):
    response = staff_client.get(review_url(over_declared))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The declared face value is far above" in html
    assert "€5,000.00" in html
    assert "€50.00 (median of its other verified tickets)" in html
    assert reverse("admin:tickets_ticketinreview_file", args=[over_declared.pk]) in html


def test_approving_on_the_review_page_corrects_the_face_value(staff_client, staff, over_declared):
    response = staff_client.post(
        review_url(over_declared),
        {"decision": "approve", "face_value": "50.00", "note": "Printed: 50.00"},
    )

    assert response.status_code == 302
    over_declared.refresh_from_db()
    assert (over_declared.verification, over_declared.face_value) == ("verified", Decimal("50.00"))
    assert AuditLog.objects.get(action="ticket.review_approved").actor == staff


def test_rejecting_on_the_review_page(staff_client):
    ticket = in_review()

    staff_client.post(review_url(ticket), {"decision": "reject", "note": "Not a ticket."})

    ticket.refresh_from_db()
    assert (ticket.verification, ticket.review_note) == ("rejected", "Not a ticket.")


def test_a_bad_face_value_on_the_review_page_is_shown_and_changes_nothing(
    staff_client, db_snapshot
):
    ticket = in_review()
    before = db_snapshot()

    response = staff_client.post(review_url(ticket), {"decision": "approve", "face_value": "-3"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert db_snapshot() == before


def test_the_bulk_actions_go_through_the_services(staff_client, staff):
    waiting = [in_review(), in_review()]
    verified = TicketFactory()
    url = reverse("admin:tickets_ticket_changelist")

    staff_client.post(
        url,
        {
            "action": "approve",
            "_selected_action": [t.pk for t in [*waiting, verified]],
            "post": "yes",
            "note": "Checked by hand.",
        },
    )

    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in waiting]).values_list("verification", flat=True)
    ) == {"verified"}
    # The one already verified is refused by the service, the others go through.
    assert AuditLog.objects.filter(action="ticket.review_approved").count() == 2


def test_staff_download_the_file_from_the_admin(staff_client):
    ticket = in_review(file_content=PDF_BYTES)

    response = staff_client.get(reverse("admin:tickets_ticketinreview_file", args=[ticket.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditLog.objects.filter(action="ticket.file_opened_by_staff").count() == 1


@pytest.mark.parametrize("view", ["review", "file"])
def test_non_staff_get_the_admin_login(client, view):
    ticket = in_review()
    client.force_login(ticket.owner)

    response = client.get(reverse(f"admin:tickets_ticketinreview_{view}", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not AuditLog.objects.exists()


def test_the_sellers_listing_waits_until_approval_on_the_page(client, staff, seller, event):
    ticket = ticket_upload(
        owner=seller, event=event, face_value="45.00", barcode="PAPER-1", file=as_upload(PDF_BYTES)
    )
    client.force_login(seller)
    list_url = reverse("listings:list-ticket", args=[ticket.pk])
    assert 'name="price"' not in client.get(list_url).content.decode()

    ticket_review_approve(staff=staff, ticket=ticket)

    response = client.post(list_url, {"price": "45.00"})
    assert response.status_code == 302
    assert Listing.objects.get().ticket == ticket
