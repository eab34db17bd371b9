"""Ticket files for tests, with real barcodes: what box offices and ticket apps send.

`ticket_pdf(code)` draws a QR code into a one-page PDF (as `make run`'s demo
tickets do); `ticket_png` and `ticket_jpeg` are a ticket app's screenshot;
`barcode_png(code, "Aztec")` any symbology zxing-cpp writes. Two files with the
same code but other `lines` have different bytes (another content hash).
"""

import io

import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.devtools import demo_data

DEFAULT_LINES = ("Encore test ticket", "Not valid for entry")


def ticket_pdf(code: str | None = None, *, lines=DEFAULT_LINES, pages: int = 1) -> bytes:
    """A PDF ticket showing `lines` and, when given, `code` as a QR code."""
    return demo_data.ticket_pdf(list(lines), code=code, pages=pages)


def ticket_png(code: str, *, scale: int = 8) -> bytes:
    return demo_data.ticket_png(code, scale=scale)


def ticket_jpeg(code: str) -> bytes:
    image = Image.open(io.BytesIO(ticket_png(code))).convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def barcode_png(code: str, symbology: str, *, scale: int = 4) -> bytes:
    """`code` in any symbology zxing-cpp writes ("Aztec", "PDF417", "DataMatrix", "Code128")."""
    barcode = zxingcpp.create_barcode(code, getattr(zxingcpp.BarcodeFormat, symbology))
    pixels = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=scale))
    height, width = pixels.shape[:2]
    image = Image.frombytes("L", (width, height), pixels.tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def blank_png(size=(200, 200)) -> bytes:
    """A real PNG with no barcode in it (a photo of the wrong thing)."""
    buffer = io.BytesIO()
    Image.new("L", size, 255).save(buffer, format="PNG")
    return buffer.getvalue()


CONTENT_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def as_upload(content: bytes, name: str = "ticket.pdf") -> SimpleUploadedFile:
    """`content` as a browser or the API sends it; the name is the client's claim."""
    content_type = next(
        (kind for head, kind in CONTENT_TYPES.items() if content.startswith(head)),
        "application/octet-stream",
    )
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(code: str | None = None, name: str = "ticket.pdf", **options):
    """A PDF ticket carrying `code` (none: a file without any readable code), as uploaded."""
    return as_upload(ticket_pdf(code, **options), name)
