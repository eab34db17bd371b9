"""The tickets API: my tickets, upload (multipart), transfer and the private file.

Each answer is checked in its envelope; each refusal with its error code and,
where a service is involved, an unchanged database (db_snapshot).
"""

from decimal import Decimal
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import OrganizerFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from tickets.models import Ticket
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.helpers import JPEG_BYTES, PNG_BYTES, stored_files, upload

pytestmark = pytest.mark.django_db

BARCODE = "ENC-2026-0000-7781"


def upload_form(event, **overrides):
    form = {
        "event_id": getattr(event, "pk", event),
        "face_value": "49.50",
        "barcode": BARCODE,
        "ticket_type": "seated",
        "section": "B",
        "row": "7",
        "seat": "14",
        "file": upload(),
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def post_upload(client, form, **extra):
    return client.post("/api/v1/tickets/upload", form, format="multipart", **extra)


# --- list and detail --------------------------------------------------------------


def test_list_shows_only_my_tickets_page_by_page(api_as, seller):
    mine = [TicketFactory(owner=seller) for _ in range(3)]
    TicketFactory()  # someone else's

    client = api_as(seller)
    first = client.get("/api/v1/tickets", {"limit": 2})
    second = client.get("/api/v1/tickets", {"limit": 2, "page": 2})

    assert first.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "totalExact": True,
        "nextCursor": ANY,
    }
    assert second.json()["meta"]["pagination"]["page"] == 2
    ids = [row["id"] for row in ok_data(first) + ok_data(second)]
    assert sorted(ids) == sorted(t.pk for t in mine)


def test_list_runs_the_same_queries_for_2_and_for_20_tickets(api_as):
    few, many = UserFactory(), UserFactory()
    for _ in range(2):
        TicketFactory(owner=few)
    for _ in range(20):
        TicketFactory(owner=many)  # each for an event of its own
    api_as(UserFactory()).get("/api/v1/tickets")  # warm the one-off lookups

    counted = {}
    for owner, expected in ((few, 2), (many, 20)):
        client = api_as(owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/tickets")
        assert len(ok_data(response)) == expected
        counted[expected] = len(queries)

    assert counted[2] == counted[20]


def test_list_refuses_a_page_that_is_not_a_number(api_as, seller):
    error = error_of(
        api_as(seller).get("/api/v1/tickets", {"page": "two"}), 400, "VALIDATION_ERROR"
    )
    assert error["details"]["field"] == "page"


def test_detail_of_my_ticket_shows_the_barcode_last4_only(api_as, seller):
    ticket = TicketFactory(owner=seller, barcode=BARCODE)

    data = ok_data(api_as(seller).get(f"/api/v1/tickets/{ticket.pk}"))

    assert data["id"] == ticket.pk
    assert data["barcode_last4"] == "7781"
    assert data["event"]["id"] == ticket.event_id
    assert "barcode" not in data and "barcode_hash" not in data


def test_detail_of_someone_elses_ticket_is_not_found(api_as, seller):
    other = TicketFactory()

    error_of(api_as(seller).get(f"/api/v1/tickets/{other.pk}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/tickets"),
        ("get", "/api/v1/tickets/1"),
        ("post", "/api/v1/tickets/upload"),
        ("post", "/api/v1/tickets/1/transfer"),
        ("get", "/api/v1/tickets/1/file"),
    ],
)
def test_every_ticket_endpoint_needs_a_token(api, method, path):
    error_of(getattr(api, method)(path), 401, "UNAUTHORIZED")


# --- upload -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [(PDF_BYTES, "ticket.pdf"), (PNG_BYTES, "scan.png"), (JPEG_BYTES, "photo.jpg")],
    ids=["pdf", "png", "jpeg"],
)
def test_upload_creates_my_ticket_and_never_returns_the_barcode(
    api_as, seller, event, private_dir, content, name
):
    response = post_upload(
        api_as(seller), upload_form(event, file=upload(content, name)), REMOTE_ADDR="203.0.113.9"
    )

    data = ok_data(response, 201)
    ticket = Ticket.objects.get(pk=data["id"])
    assert (ticket.owner, ticket.event, ticket.status) == (seller, event, "available")
    assert ticket.face_value == Decimal("49.50")
    assert data["face_value"] == "49.50"
    assert data["barcode_last4"] == "7781"
    assert data["status"] == "available"
    assert data["file_url"] == f"/api/v1/tickets/{ticket.pk}/file"
    # Neither the barcode (as typed or normalised) nor its hash leaves the server.
    raw = response.content.decode()
    for secret in (BARCODE, "ENC202600007781", ticket.barcode_hash):
        assert secret not in raw
    assert stored_files(private_dir) == [private_dir / ticket.file.name]
    audit = AuditLog.objects.get(action="ticket.uploaded")
    assert (audit.actor, audit.entity_id, audit.ip_address) == (
        seller,
        str(ticket.pk),
        "203.0.113.9",
    )


def test_duplicate_barcode_for_the_same_event_is_refused_and_audited(
    api_as, seller, event, private_dir
):
    first = TicketFactory(event=event, barcode=BARCODE)
    tickets_before = list(Ticket.objects.values_list())
    files_before = stored_files(private_dir)

    # The same barcode typed with other separators and case is the same barcode.
    response = post_upload(api_as(seller), upload_form(event, barcode="enc 2026 0000 7781"))

    error = error_of(response, 409, "DUPLICATE_TICKET")
    assert error["details"] == {"field": "barcode", "reason": "DUPLICATE_BARCODE"}
    assert list(Ticket.objects.values_list()) == tickets_before
    assert stored_files(private_dir) == files_before
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor, audit.entity_id) == (
        "ticket.duplicate_barcode_refused",
        seller,
        str(first.pk),
    )
    assert audit.changes["existing_owner_id"] == first.owner_id


def test_same_barcode_for_another_event_is_accepted(api_as, seller, event):
    TicketFactory(barcode=BARCODE)  # another event

    ok_data(post_upload(api_as(seller), upload_form(event)), 201)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"file": upload(b"just some text, not a ticket", "ticket.pdf")}, "file"),
        ({"file": None}, "file"),
        ({"face_value": "-5.00"}, "face_value"),
        ({"face_value": "abc"}, "face_value"),
        ({"face_value": "0"}, "face_value"),
        # A barcode is needed only when the file has none Encore can read.
        ({"barcode": None, "file": upload(PDF_BYTES)}, "barcode"),
        ({"event_id": "abc"}, "event_id"),
        ({"ticket_type": "backstage"}, "ticket_type"),
    ],
    ids=[
        "text-named-pdf",
        "no-file",
        "negative-face-value",
        "face-value-abc",
        "face-value-zero",
        "no-barcode-in-file-or-form",
        "event-id-abc",
        "unknown-ticket-type",
    ],
)
def test_upload_with_bad_input_is_refused_and_changes_nothing(
    api_as, seller, event, private_dir, db_snapshot, overrides, field
):
    before = db_snapshot()

    response = post_upload(api_as(seller), upload_form(event, **overrides))

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == field
    assert db_snapshot() == before
    assert stored_files(private_dir) == []


def test_a_text_file_named_pdf_is_refused_for_its_content(api_as, seller, event):
    form = upload_form(event, file=upload(b"%PD not quite a PDF", "ticket.pdf"))

    error = error_of(post_upload(api_as(seller), form), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "UNSUPPORTED_TYPE"


def test_upload_as_json_is_refused_as_unsupported_media_type(api_as, seller, event, db_snapshot):
    before = db_snapshot()
    body = {"event_id": event.pk, "face_value": "49.50", "barcode": BARCODE}

    response = api_as(seller).post("/api/v1/tickets/upload", body, format="json")

    error_of(response, 415, "INVALID_INPUT")
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "make_event",
    [
        lambda: None,
        lambda: EventFactory(status=Event.Status.DRAFT, organizer=OrganizerFactory()),
    ],
    ids=["unknown-event", "draft-of-another-organizer"],
)
def test_upload_for_an_event_i_cannot_see_is_not_found(
    api_as, seller, private_dir, db_snapshot, make_event
):
    event = make_event()
    event_id = event.pk if event else 10**12
    before = db_snapshot()

    response = post_upload(api_as(seller), upload_form(event_id))

    error_of(response, 404, "NOT_FOUND")
    assert db_snapshot() == before
    assert stored_files(private_dir) == []


def test_upload_over_the_size_limit_answers_413(
    api_as, seller, event, private_dir, settings, db_snapshot
):
    settings.TICKET_FILE_MAX_BYTES = 1024
    # Bigger than the file limit plus the room left for the form around it.
    big = PDF_BYTES + b"0" * (1024 + 64 * 1024)
    before = db_snapshot()

    response = post_upload(api_as(seller), upload_form(event, file=upload(big)))

    error = error_of(response, 413, "INVALID_INPUT")
    assert error["details"] == {"field": "file", "reason": "FILE_TOO_LARGE"}
    assert db_snapshot() == before
    assert stored_files(private_dir) == []


def test_upload_declaring_a_content_length_over_the_limit_answers_413(api_as, seller, event):
    response = post_upload(api_as(seller), upload_form(event), CONTENT_LENGTH=str(10**9))

    error_of(response, 413, "INVALID_INPUT")
    assert not Ticket.objects.exists()


# --- transfer -------------------------------------------------------------------------


def test_transfer_holds_the_ticket_then_the_recipient_claims_it(api_as, seller):
    from messaging.models import Email
    from tickets.tests.test_transfer import code_emailed_to

    friend = UserFactory(email="Friend@Example.com")
    ticket = TicketFactory(owner=seller)

    response = api_as(seller).post(
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"recipient_email": "FRIEND@example.COM"},
        format="json",
    )

    data = ok_data(response, 202)
    assert (data["id"], data["status"]) == (ticket.pk, "transfer_pending")
    assert data["pending_transfer"]["recipient_email"] == "friend@example.com"
    assert AuditLog.objects.filter(action="ticket.transfer_offered", actor=seller).count() == 1
    # Still mine while it waits; my list shows for whom.
    listed = ok_data(api_as(seller).get("/api/v1/tickets"))
    assert listed[0]["pending_transfer"]["recipient_email"] == "friend@example.com"
    assert Email.objects.filter(to="friend@example.com").count() == 1

    claimed = api_as(friend).post(
        "/api/v1/tickets/claim", {"code": code_emailed_to("friend@example.com")}, format="json"
    )

    data = ok_data(claimed)
    assert (data["id"], data["status"], data["pending_transfer"]) == (
        ticket.pk,
        "transferred",
        None,
    )
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.status) == (friend, Ticket.Status.TRANSFERRED)
    # The ticket, its file included, is the friend's now and no longer mine.
    error_of(api_as(seller).get(f"/api/v1/tickets/{ticket.pk}"), 404, "NOT_FOUND")
    error_of(api_as(seller).get(f"/api/v1/tickets/{ticket.pk}/file"), 404, "NOT_FOUND")
    assert ok_data(api_as(friend).get(f"/api/v1/tickets/{ticket.pk}"))["id"] == ticket.pk


def test_the_sender_takes_back_a_transfer_through_the_api(api_as, seller, db_snapshot):
    ticket = TicketFactory(owner=seller)
    nothing = api_as(seller).delete(f"/api/v1/tickets/{ticket.pk}/transfer")
    error_of(nothing, 404, "NOT_FOUND")
    ok_data(
        api_as(seller).post(
            f"/api/v1/tickets/{ticket.pk}/transfer",
            {"recipient_email": "nobody@example.com"},
            format="json",
        ),
        202,
    )

    data = ok_data(api_as(seller).delete(f"/api/v1/tickets/{ticket.pk}/transfer"))

    assert (data["status"], data["pending_transfer"]) == ("available", None)


@pytest.mark.parametrize(
    ("code", "claimer", "status", "error_code", "reason"),
    [
        ("not-a-code", "friend", 404, "NOT_FOUND", None),
        (None, "stranger", 403, "FORBIDDEN", "WRONG_ACCOUNT"),
        (None, "sender", 403, "FORBIDDEN", "WRONG_ACCOUNT"),
    ],
)
def test_a_claim_by_the_wrong_account_or_code_changes_nothing(
    api_as, seller, db_snapshot, code, claimer, status, error_code, reason
):
    from tickets.tests.test_transfer import code_emailed_to

    users = {
        "friend": UserFactory(email="friend@example.com"),
        "stranger": UserFactory(),
        "sender": seller,
    }
    ticket = TicketFactory(owner=seller)
    api_as(seller).post(
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"recipient_email": "friend@example.com"},
        format="json",
    )
    before = db_snapshot()

    response = api_as(users[claimer]).post(
        "/api/v1/tickets/claim",
        {"code": code or code_emailed_to("friend@example.com")},
        format="json",
    )

    error = error_of(response, status, error_code)
    if reason:
        assert error["details"]["reason"] == reason
    assert db_snapshot() == before


def test_transfer_to_my_own_email_is_refused(api_as, db_snapshot):
    owner = UserFactory(email="me@example.com")
    ticket = TicketFactory(owner=owner)
    before = db_snapshot()

    response = api_as(owner).post(
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"recipient_email": "ME@example.com"},
        format="json",
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "recipient_email"
    assert error["details"]["reason"] == "SELF_TRANSFER"
    assert db_snapshot() == before


def test_transfer_of_a_listed_ticket_is_refused_with_409(api_as, seller, db_snapshot):
    UserFactory(email="friend@example.com")
    ticket = TicketFactory(owner=seller, status=Ticket.Status.LISTED)
    before = db_snapshot()

    response = api_as(seller).post(
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"recipient_email": "friend@example.com"},
        format="json",
    )

    error = error_of(response, 409, "TICKET_NOT_AVAILABLE")
    assert error["details"]["reason"] == "LISTED"
    assert db_snapshot() == before


def test_transfer_of_someone_elses_ticket_is_not_found(api_as, seller, db_snapshot):
    UserFactory(email="friend@example.com")
    ticket = TicketFactory()
    before = db_snapshot()

    response = api_as(seller).post(
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"recipient_email": "friend@example.com"},
        format="json",
    )

    error_of(response, 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_transfer_without_a_valid_email_is_refused(api_as, seller):
    ticket = TicketFactory(owner=seller)

    response = api_as(seller).post(
        f"/api/v1/tickets/{ticket.pk}/transfer", {"recipient_email": "not-an-email"}
    )

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "recipient_email"


# --- file -------------------------------------------------------------------------------


def test_owner_downloads_the_file_privately(api_as, seller):
    ticket = TicketFactory(owner=seller, file_content=PDF_BYTES)

    response = api_as(seller).get(f"/api/v1/tickets/{ticket.pk}/file")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f"encore-ticket-{ticket.pk}.pdf" in response["Content-Disposition"]


def test_someone_else_cannot_download_my_file(api_as, seller):
    ticket = TicketFactory(owner=seller)

    response = api_as(UserFactory()).get(f"/api/v1/tickets/{ticket.pk}/file")

    error_of(response, 404, "NOT_FOUND")
    assert not hasattr(response, "streaming_content")


def test_nobody_downloads_a_void_tickets_file(api_as, seller):
    ticket = TicketFactory(owner=seller, status=Ticket.Status.VOID)

    error_of(api_as(seller).get(f"/api/v1/tickets/{ticket.pk}/file"), 404, "NOT_FOUND")
