import hashlib
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from tickets.barcodes import barcode_hash, barcode_last4
from tickets.models import Ticket
from tickets.tests.files import ticket_pdf

# A real one-page PDF without any barcode: a reader opens it, nothing proves a ticket.
PDF_BYTES = ticket_pdf(None, lines=["Encore test ticket", "No barcode on this page"])


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket as the upload service leaves a verified one: its file a PDF with
    its barcode as a QR code, the file's hash, and the barcode read from it."""

    class Meta:
        model = Ticket
        exclude = ("barcode", "file_content")

    event = factory.SubFactory(EventFactory)
    owner = factory.SubFactory(UserFactory)
    ticket_type = Ticket.Type.SEATED
    section = "A"
    row = "12"
    seat = factory.Sequence(lambda n: str(n + 1))
    face_value = Decimal("50.00")
    barcode = factory.Sequence(lambda n: f"ENC-{n:010d}")
    barcode_hash = factory.LazyAttribute(lambda o: barcode_hash(o.barcode))
    barcode_last4 = factory.LazyAttribute(lambda o: barcode_last4(o.barcode))
    barcode_source = Ticket.BarcodeSource.FILE
    # Other lines than tickets.tests.files' default: an upload of the same barcode
    # made with pdf_upload() is another file (a barcode duplicate, not a file one).
    file_content = factory.LazyAttribute(
        lambda o: ticket_pdf(o.barcode, lines=["Encore box office", f"Seat {o.seat}"])
    )
    file = factory.LazyAttribute(lambda o: ContentFile(o.file_content, name="ticket.pdf"))
    file_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.file_content).hexdigest())
    status = Ticket.Status.AVAILABLE
    verification = Ticket.Verification.VERIFIED
