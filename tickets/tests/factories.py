from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from tickets.barcodes import barcode_hash, barcode_last4
from tickets.models import Ticket

# The smallest file a PDF reader accepts as a PDF.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket
        exclude = ("barcode",)

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
    file = factory.django.FileField(data=PDF_BYTES, filename="ticket.pdf")
    status = Ticket.Status.AVAILABLE
