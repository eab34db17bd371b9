"""Fixtures of the ticket tests: files of each kind, and a private storage per test."""

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from marketplace.models import AuditLog
from tickets.models import Ticket
from tickets.tests.files import ticket_jpeg, ticket_pdf, ticket_png

# The barcode the ticket tests upload, and its ticket in each kind of file.
BARCODE = "ENC-2026-0000-7781"
QR_PDF_BYTES = ticket_pdf(BARCODE)
PNG_BYTES = ticket_png(BARCODE)
JPEG_BYTES = ticket_jpeg(BARCODE)


def upload(content: bytes = QR_PDF_BYTES, name: str = "ticket.pdf", content_type=None):
    """A file as a browser or the API sends it; the name and type are the client's claim."""
    return SimpleUploadedFile(name, content, content_type=content_type or "application/pdf")


@pytest.fixture(autouse=True)
def private_dir(tmp_path, monkeypatch) -> Path:
    """Ticket files of this test go to a folder of its own, so leftovers can be counted.

    (The suite's private folder is shared by concurrent runs; the field's storage
    object is bound when the model loads, so it is swapped on the field itself.)
    """
    location = tmp_path / "private"
    storage = FileSystemStorage(location=location)
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return location


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file()) if location.exists() else []


@pytest.fixture
def seller(db):
    return UserFactory()


@pytest.fixture
def event(db):
    return EventFactory()


def counts() -> tuple[int, int]:
    """(tickets, audit rows): what a refused write must leave as it found."""
    return Ticket.objects.count(), AuditLog.objects.count()
