import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from marketplace.core.errors import DuplicateTicket, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.core.storage import private_storage
from tickets.barcodes import barcode_hash
from tickets.models import Ticket
from tickets.services import ticket_upload
from tickets.services import upload as services
from tickets.tests.factories import PDF_BYTES, TicketFactory
from tickets.tests.helpers import (
    JPEG_BYTES,
    PNG_BYTES,
    QR_PDF_BYTES,
    counts,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db

BARCODE = "ENC-2026-0000-7781"


def do_upload(owner, event, **overrides):
    arguments = {
        "owner": owner,
        "event": event,
        "face_value": "49.50",
        "barcode": BARCODE,
        "file": upload(),
        "ticket_type": Ticket.Type.SEATED,
        "section": "B",
        "row": "7",
        "seat": "14",
        "ip_address": "203.0.113.9",
    }
    arguments.update(overrides)
    return ticket_upload(**arguments)


# --- success --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "client_name", "extension"),
    [
        (QR_PDF_BYTES, "my ticket.pdf", "pdf"),
        (PNG_BYTES, "scan.png", "png"),
        (JPEG_BYTES, "photo.jpeg", "jpg"),
        # The type comes from the bytes: a PNG named .pdf is stored as the PNG it is.
        (PNG_BYTES, "ticket.pdf", "png"),
    ],
    ids=["pdf", "png", "jpeg", "png-named-pdf"],
)
def test_upload_stores_the_ticket_with_the_type_found_in_its_bytes(
    seller, event, private_dir, content, client_name, extension
):
    ticket = do_upload(seller, event, file=upload(content, client_name))

    ticket.refresh_from_db()
    assert ticket.owner == seller
    assert ticket.event == event
    assert ticket.status == Ticket.Status.AVAILABLE
    assert ticket.face_value == Decimal("49.50")
    assert (ticket.ticket_type, ticket.section, ticket.row, ticket.seat) == (
        "seated",
        "B",
        "7",
        "14",
    )
    # Named by the event and the barcode's hash, never by the client's file name.
    assert ticket.file.name == f"tickets/{event.pk}/{ticket.barcode_hash[:32]}.{extension}"
    assert stored_files(private_dir) == [private_dir / ticket.file.name]
    with ticket.file.open("rb") as handle:
        assert handle.read() == content


def test_barcode_is_stored_as_hash_and_last_four_only(seller, event):
    ticket = do_upload(seller, event, barcode="enc 2026-0000 7781")

    ticket.refresh_from_db()
    assert ticket.barcode_hash == barcode_hash(BARCODE)
    assert ticket.barcode_last4 == "7781"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tickets WHERE id = %s", [ticket.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for form in ("ENC20260000778", "ENC-2026-0000-7781", "2026-0000"):
        assert form not in row.upper()
    entry = AuditLog.objects.get(action="ticket.uploaded")
    assert "ENC20260000" not in str(entry.changes).upper()


def test_upload_writes_its_audit_row(seller, event):
    ticket = do_upload(seller, event)

    entry = AuditLog.objects.get(action="ticket.uploaded")
    assert (entry.actor, entry.entity_type, entry.entity_id) == (seller, "ticket", str(ticket.pk))
    assert entry.ip_address == "203.0.113.9"
    assert entry.changes == {
        "event_id": event.pk,
        "tier_id": None,
        "face_value": "49.50",
        "original_fees": "0.00",
        "ticket_type": "seated",
        "section": "B",
        "row": "7",
        "seat": "14",
        "restrictions": "",
        "organizer_ticket_number": "",
        "barcode_last4": "7781",
        # The evidence: where the barcode came from, the file's hash, the verdict.
        "barcode_source": "file",
        "symbology": "QR Code",
        "file_sha256": ticket.file_sha256,
        "status": {"from": None, "to": "available"},
        "verification": "verified",
        "review_reasons": [],
        "face_value_reference": {"median": None, "review_above": "250.00"},
    }


def test_file_goes_to_the_private_storage_outside_media_root(seller, event, monkeypatch):
    # given the real private storage (the other tests use a folder per test)
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", private_storage())

    # when
    ticket = do_upload(seller, event)

    # then
    try:
        path = Path(ticket.file.path).resolve()
        assert path.is_file()
        assert path.is_relative_to(Path(settings.PRIVATE_STORAGE_ROOT).resolve())
        assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    finally:
        ticket.file.storage.delete(ticket.file.name)


def test_file_of_exactly_the_maximum_size_is_accepted(seller, event, settings):
    settings.TICKET_FILE_MAX_BYTES = 1024
    content = PDF_BYTES + b"0" * (1024 - len(PDF_BYTES))

    ticket = do_upload(seller, event, file=upload(content))

    assert ticket.file.size == 1024


def test_face_value_with_trailing_zero_decimals_is_accepted(seller, event):
    ticket = do_upload(seller, event, face_value="  50.100 ")

    ticket.refresh_from_db()
    assert ticket.face_value == Decimal("50.10")


def test_void_ticket_frees_its_barcode(seller, event, private_dir):
    old = TicketFactory(event=event, barcode=BARCODE, status=Ticket.Status.VOID)

    ticket = do_upload(seller, event)

    assert ticket.pk != old.pk
    assert Ticket.objects.filter(barcode_hash=barcode_hash(BARCODE)).count() == 2
    assert not AuditLog.objects.filter(action="ticket.duplicate_barcode_refused").exists()


def test_same_barcode_for_another_event_is_accepted(seller, event):
    TicketFactory(event=EventFactory(), barcode=BARCODE)

    assert do_upload(seller, event).barcode_hash == barcode_hash(BARCODE)


# --- refusals: nothing changes, no file is left behind ---------------------------


@pytest.fixture
def unchanged(private_dir):
    """The refused upload left tickets, audit trail and files as they were."""
    before = counts()
    yield
    assert counts() == before
    assert stored_files(private_dir) == []


def assert_refused(error, field, reason):
    assert error.value.code == "VALIDATION_ERROR"
    assert error.value.details["field"] == field
    assert error.value.details["reason"] == reason


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"MZ\x90\x00 an executable", "ticket.pdf", "UNSUPPORTED_TYPE"),
        (b"<html><script>alert(1)</script></html>", "ticket.pdf", "UNSUPPORTED_TYPE"),
        (b"GIF89a\x01\x00", "ticket.png", "UNSUPPORTED_TYPE"),
        (b" %PDF-1.4 leading space", "ticket.pdf", "UNSUPPORTED_TYPE"),
        (b"", "ticket.pdf", "EMPTY"),
    ],
    ids=["exe-named-pdf", "html-named-pdf", "gif-named-png", "pdf-not-at-start", "empty"],
)
def test_file_that_is_not_a_pdf_png_or_jpeg_is_refused(
    seller, event, unchanged, content, name, reason
):
    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event, file=upload(content, name, content_type="application/pdf"))

    assert_refused(error, "file", reason)


def test_file_over_the_maximum_size_is_refused(seller, event, unchanged):
    content = PDF_BYTES + b"0" * settings.TICKET_FILE_MAX_BYTES

    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event, file=upload(content))

    assert_refused(error, "file", "TOO_LARGE")
    assert error.value.details["max_bytes"] == 5 * 1024 * 1024


def test_missing_file_is_refused(seller, event, unchanged):
    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event, file=None)

    assert_refused(error, "file", "EMPTY")


@pytest.mark.parametrize(
    ("face_value", "reason"),
    [
        ("-10.00", "NOT_POSITIVE"),
        ("0", "NOT_POSITIVE"),
        ("0.00", "NOT_POSITIVE"),
        ("49.999", "TOO_MANY_DECIMALS"),
        ("0.001", "TOO_MANY_DECIMALS"),
        ("100000.01", "TOO_LARGE"),
        ("1e9", "TOO_LARGE"),
        ("fifty", "INVALID_NUMBER"),
        ("", "INVALID_NUMBER"),
        ("12,50", "INVALID_NUMBER"),
        ("NaN", "INVALID_NUMBER"),
        ("Infinity", "INVALID_NUMBER"),
        (None, "INVALID_NUMBER"),
        (49.5, "INVALID_NUMBER"),
        ([], "INVALID_NUMBER"),
    ],
)
def test_bad_face_value_is_refused(seller, event, unchanged, face_value, reason):
    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event, face_value=face_value)

    assert_refused(error, "face_value", reason)


@pytest.mark.parametrize(
    ("status", "starts_in_days"),
    [
        (Event.Status.DRAFT, 30),
        (Event.Status.CANCELLED, 30),
        (Event.Status.COMPLETED, -1),
    ],
)
def test_event_not_published_is_refused(seller, unchanged, status, starts_in_days):
    event = EventFactory(
        status=status, event_date=timezone.localdate() + datetime.timedelta(days=starts_in_days)
    )

    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event)

    assert_refused(error, "event", "EVENT_NOT_PUBLISHED")


@pytest.mark.parametrize("minutes_ago", [1, 60 * 24 * 3])
def test_event_that_has_started_is_refused(seller, unchanged, minutes_ago):
    starts = timezone.localtime() - datetime.timedelta(minutes=minutes_ago)
    event = EventFactory(event_date=starts.date(), event_time=starts.time())

    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event)

    assert_refused(error, "event", "EVENT_STARTED")


@pytest.mark.parametrize(
    "account",
    [{"status": User.Status.SUSPENDED}, {"status": User.Status.BANNED}, {"is_active": False}],
)
def test_owner_who_may_not_trade_is_refused(event, unchanged, account):
    owner = UserFactory(**account)

    with pytest.raises(PermissionDenied) as error:
        do_upload(owner, event)

    assert error.value.code == "FORBIDDEN"


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"ticket_type": "backstage"}, "ticket_type", "INVALID_CHOICE"),
        ({"section": "S" * 51}, "section", "TOO_LONG"),
        ({"row": "R" * 21}, "row", "TOO_LONG"),
        ({"seat": "9" * 21}, "seat", "TOO_LONG"),
        ({"seat": 14}, "seat", "INVALID"),
        # A barcode is needed only when the file has none Encore can read.
        ({"barcode": "", "file": upload(PDF_BYTES)}, "barcode", "REQUIRED"),
        ({"barcode": " - -  ", "file": upload(PDF_BYTES)}, "barcode", "REQUIRED"),
        ({"barcode": None, "file": upload(PDF_BYTES)}, "barcode", "REQUIRED"),
        ({"barcode": "ab1"}, "barcode", "INVALID_LENGTH"),
        ({"barcode": "X" * 129}, "barcode", "INVALID_LENGTH"),
        ({"barcode": "ABC\x00DEF"}, "barcode", "INVALID_CHARACTERS"),
    ],
)
def test_bad_ticket_details_are_refused(seller, event, unchanged, overrides, field, reason):
    with pytest.raises(ValidationFailed) as error:
        do_upload(seller, event, **overrides)

    assert_refused(error, field, reason)


# --- duplicate barcodes -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [BARCODE, "enc-2026-0000-7781", "ENC 2026 0000 7781", " enc20260000 7781 "],
)
@pytest.mark.parametrize(
    "status", [Ticket.Status.AVAILABLE, Ticket.Status.LISTED, Ticket.Status.SOLD]
)
def test_barcode_of_an_active_ticket_is_refused_and_audited(
    seller, event, private_dir, typed, status
):
    # given an active ticket of the event with that barcode
    existing = TicketFactory(event=event, barcode=BARCODE, status=status)
    files_before = stored_files(private_dir)
    tickets_before, audit_before = counts()

    # when someone uploads it again, typed differently
    with pytest.raises(DuplicateTicket) as error:
        do_upload(seller, event, barcode=typed)

    # then the upload is refused, only the fraud signal is written
    assert error.value.code == "DUPLICATE_TICKET"
    assert error.value.http_status == 409
    assert error.value.details == {"field": "barcode", "reason": "DUPLICATE_BARCODE"}
    assert counts() == (tickets_before, audit_before + 1)
    assert stored_files(private_dir) == files_before
    entry = AuditLog.objects.get(action="ticket.duplicate_barcode_refused")
    assert (entry.actor, entry.entity_type, entry.entity_id) == (
        seller,
        "ticket",
        str(existing.pk),
    )
    assert entry.ip_address == "203.0.113.9"
    assert entry.changes == {
        "event_id": event.pk,
        "barcode_last4": "7781",
        "existing_ticket_id": existing.pk,
        "existing_owner_id": existing.owner_id,
    }


def test_duplicate_refusal_does_not_tell_who_owns_the_ticket(seller, event):
    existing = TicketFactory(event=event, barcode=BARCODE)

    with pytest.raises(DuplicateTicket) as error:
        do_upload(seller, event)

    assert str(existing.owner_id) not in str(error.value.details)
    assert existing.owner.email not in error.value.message


@pytest.mark.django_db(transaction=True)
def test_duplicate_audit_row_is_committed_though_the_upload_is_refused(private_dir):
    # transaction=True: no test-wide transaction; what the service commits is real.
    seller, event = UserFactory(), EventFactory()
    TicketFactory(event=event, barcode=BARCODE)

    with pytest.raises(DuplicateTicket):
        do_upload(seller, event)

    connection.close()  # a fresh connection sees only committed rows
    assert AuditLog.objects.filter(action="ticket.duplicate_barcode_refused").count() == 1
    assert Ticket.objects.count() == 1


def test_duplicate_caught_by_the_database_guard_is_refused(seller, event, monkeypatch, private_dir):
    # given pre-checks that miss the existing ticket (as when two uploads race)
    existing = TicketFactory(event=event, barcode=BARCODE)
    files_before = stored_files(private_dir)
    real_lookup = services._active_ticket_with
    calls = []

    def lookup_missing_first(**kwargs):
        # The upload's checks: the file's (twice) and the barcode's (twice) miss;
        # the lookup after the database refused the row finds the ticket.
        calls.append(kwargs)
        return None if len(calls) <= 4 else real_lookup(**kwargs)

    monkeypatch.setattr(services, "_active_ticket_with", lookup_missing_first)
    tickets_before, audit_before = counts()

    # when
    with pytest.raises(DuplicateTicket):
        do_upload(seller, event)

    # then the unique index refused it: no row, no file, and the refusal is audited
    assert counts() == (tickets_before, audit_before + 1)
    assert stored_files(private_dir) == files_before
    entry = AuditLog.objects.get(action="ticket.duplicate_barcode_refused")
    assert entry.changes["existing_ticket_id"] == existing.pk


# --- a failure after the file is written leaves no file and no row ----------------


def test_failure_after_the_file_is_written_removes_the_file(seller, event, monkeypatch, unchanged):
    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_log_record", broken_audit)

    with pytest.raises(RuntimeError, match="audit store down"):
        do_upload(seller, event)


def test_other_integrity_errors_are_not_taken_for_duplicates(seller, event, monkeypatch, unchanged):
    original_save = Ticket.save

    def save_breaking_a_check(self, *args, **kwargs):
        self.barcode_hash = "not-hex"  # tickets_barcode_hash_hex refuses it
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Ticket, "save", save_breaking_a_check)

    with pytest.raises(IntegrityError, match="tickets_barcode_hash_hex"):
        do_upload(seller, event)
