"""Helpers the tests of this folder import (fixtures stay in conftest.py)."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.models import AuditLog
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


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file()) if location.exists() else []


def counts() -> tuple[int, int]:
    """(tickets, audit rows): what a refused write must leave as it found."""
    return Ticket.objects.count(), AuditLog.objects.count()
