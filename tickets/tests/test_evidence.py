"""The file is the evidence: barcodes read from PDFs and images, within bounds, and
one canonical form for a barcode however it is typed (tickets.evidence, tickets.barcodes)."""

import pytest

from marketplace.core.errors import ValidationFailed
from tickets.barcodes import barcode_hash, barcode_last4, barcode_normalize
from tickets.evidence import evidence_read, file_sha256
from tickets.tests.factories import PDF_BYTES
from tickets.tests.files import (
    barcode_png,
    blank_png,
    ticket_jpeg,
    ticket_pdf,
    ticket_png,
)

CODE = "ENC-2026-0000-7781"


# --- one canonical form --------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "ENC-2026-0000-7781",
        "enc 2026 0000 7781",
        "ＥＮＣ－２０２６－００００－７７８１",  # fullwidth letters, digits and hyphen
        "ENC\u200b2026\u00ad0000\u20137781",  # zero-width space, soft hyphen, en dash
        "\tenc-2026-0000-7781\n",
    ],
    ids=["as-printed", "spaces-lower", "fullwidth", "invisible-and-en-dash", "whitespace"],
)
def test_a_barcode_typed_any_way_is_one_barcode(typed):
    assert barcode_normalize(typed) == "ENC202600007781"
    assert barcode_hash(typed) == barcode_hash(CODE)
    assert barcode_last4(typed) == "7781"


def test_case_folding_is_unicode_case_folding():
    assert barcode_normalize("straße-1") == barcode_normalize("STRASSE-1") == "STRASSE1"


def test_a_look_alike_letter_is_not_made_one_with_its_model():
    # NFKC keeps "Đ" (U+0110): the file's barcode decides, and a typed-only
    # barcode must be ASCII (tickets.services.checks.barcode_check_typed_only).
    assert barcode_normalize("ĐUP62409973") != barcode_normalize("DUP62409973")


def test_the_canonical_form_of_ascii_is_what_encore_always_stored():
    # Hashes of tickets uploaded before stay valid: upper case, no spaces or dashes.
    assert barcode_normalize("abc-123 def") == "ABC123DEF"


# --- reading barcodes from files -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (ticket_pdf(CODE), "pdf"),
        (ticket_pdf(CODE, pages=3), "pdf"),
        (ticket_png(CODE), "png"),
        (ticket_jpeg(CODE), "jpg"),
    ],
    ids=["pdf", "pdf-3-pages", "png", "jpeg"],
)
def test_the_barcode_is_read_from_a_pdf_or_an_image(content, kind):
    evidence = evidence_read(content, kind=kind)

    assert evidence.code == "ENC202600007781"
    assert evidence.symbology == "QR Code"
    assert evidence.sha256 == file_sha256(content)


@pytest.mark.parametrize(
    ("symbology", "found"),
    [
        ("Aztec", "Aztec"),
        ("PDF417", "PDF417"),
        ("DataMatrix", "DataMatrix"),
        ("Code128", "Code 128"),
    ],
)
def test_every_symbology_tickets_use_is_read(symbology, found):
    evidence = evidence_read(barcode_png(CODE, symbology), kind="png")

    assert (evidence.code, evidence.symbology.replace(" ", "")) == (
        "ENC202600007781",
        found.replace(" ", ""),
    )


@pytest.mark.parametrize(
    ("content", "kind"), [(PDF_BYTES, "pdf"), (blank_png(), "png")], ids=["pdf", "png"]
)
def test_a_file_without_a_code_has_no_barcode(content, kind):
    evidence = evidence_read(content, kind=kind)

    assert evidence.code is None
    assert evidence.sha256 == file_sha256(content)


def test_a_png_with_transparency_is_read_on_white():
    from io import BytesIO

    from PIL import Image

    qr = Image.open(BytesIO(ticket_png(CODE))).convert("L")
    # Dark modules opaque black, the rest fully transparent black: as an app exports it.
    rgba = Image.new("RGBA", qr.size, (0, 0, 0, 0))
    rgba.putalpha(qr.point(lambda v: 255 - v))
    buffer = BytesIO()
    rgba.save(buffer, format="PNG")

    assert evidence_read(buffer.getvalue(), kind="png").code == "ENC202600007781"


# --- refusals: clear errors, never a 500 ----------------------------------------------


def refusal(content, kind="pdf") -> dict:
    with pytest.raises(ValidationFailed) as error:
        evidence_read(content, kind=kind)
    assert error.value.details["field"] == "file"
    return error.value.details


def test_two_different_barcodes_in_one_file_are_refused():
    content = ticket_pdf(CODE, pages=1)
    second = ticket_pdf("ENC-2026-0000-9999")
    # A PDF of two tickets: the pages of both.
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(content)
    document.import_pages(pdfium.PdfDocument(second))
    from io import BytesIO

    buffer = BytesIO()
    document.save(buffer)

    details = refusal(buffer.getvalue())

    assert details == {"field": "file", "reason": "MULTIPLE_BARCODES", "count": 2}


def test_the_same_barcode_twice_in_a_file_is_one_barcode():
    # A QR code on each page, the same ticket: fine.
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(ticket_pdf(CODE))
    document.import_pages(pdfium.PdfDocument(ticket_pdf(CODE, lines=["Copy"])))
    from io import BytesIO

    buffer = BytesIO()
    document.save(buffer)

    assert evidence_read(buffer.getvalue(), kind="pdf").code == "ENC202600007781"


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\n this is not a PDF at all",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        ticket_pdf(CODE)[:600],  # cut short
    ],
    ids=["garbage", "no-pages", "truncated"],
)
def test_a_malformed_pdf_is_a_clear_error(content):
    assert refusal(content)["reason"] == "UNREADABLE_FILE"


@pytest.mark.parametrize("kind", ["png", "jpg"])
def test_a_malformed_image_is_a_clear_error(kind):
    head = b"\x89PNG\r\n\x1a\n" if kind == "png" else b"\xff\xd8\xff\xe0"
    assert refusal(head + b"\x00" * 64, kind)["reason"] == "UNREADABLE_FILE"


def test_a_password_protected_pdf_is_a_clear_error():
    pdf = ticket_pdf(CODE)
    at = pdf.index(b"xref")
    security = (
        b"99 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <"
        b"" + b"22" * 32 + b"> /P -4 >>\nendobj\n"
    )
    trailer = pdf[at:].replace(
        b"/Root 1 0 R",
        b"/Root 1 0 R /Encrypt 99 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">]",
    )

    assert refusal(pdf[:at] + security + trailer)["reason"] == "PDF_PROTECTED"


def test_a_pdf_over_the_page_limit_is_refused(settings):
    settings.TICKET_DECODE_MAX_PAGES = 2

    details = refusal(ticket_pdf(CODE, pages=3))

    assert details == {"field": "file", "reason": "TOO_MANY_PAGES", "max_pages": 2, "pages": 3}


def test_a_png_over_the_pixel_limit_is_refused_unread(settings):
    settings.TICKET_DECODE_MAX_PIXELS = 100 * 100

    assert refusal(blank_png((200, 200)), "png")["reason"] == "TOO_MANY_PIXELS"


def test_a_large_jpeg_is_read_at_a_reduced_size(settings):
    from io import BytesIO

    from PIL import Image

    qr = Image.open(BytesIO(ticket_png(CODE, scale=16))).convert("L")  # 37 modules: 592 px
    buffer = BytesIO()
    qr.save(buffer, format="JPEG", quality=95)
    settings.TICKET_DECODE_MAX_PIXELS = 300 * 300

    assert evidence_read(buffer.getvalue(), kind="jpg").code == "ENC202600007781"


def test_a_large_pdf_page_is_drawn_within_the_pixel_budget(settings):
    settings.TICKET_DECODE_MAX_PIXELS = 800 * 1100  # A4 at about 95 dpi, not 200

    assert evidence_read(ticket_pdf(CODE), kind="pdf").code == "ENC202600007781"


def test_a_file_that_takes_too_long_to_read_is_refused(settings):
    settings.TICKET_DECODE_TIMEOUT_SECONDS = 0.001

    assert refusal(ticket_pdf(CODE))["reason"] == "FILE_TOO_COMPLEX"


def test_a_decoder_out_of_memory_is_a_clear_error(settings):
    # 16 MB cannot even hold the decoders: the process gives up, the upload gets an answer.
    settings.TICKET_DECODE_MEMORY_MB = 16

    assert refusal(ticket_pdf(CODE))["reason"] in {"UNREADABLE_FILE", "FILE_TOO_COMPLEX"}


def test_the_decoder_gets_none_of_our_environment(monkeypatch, settings):
    import subprocess

    from tickets import evidence

    seen = {}
    real_run = subprocess.run

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(evidence.subprocess, "run", spy)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_not_for_a_pdf")

    evidence_read(ticket_pdf(CODE), kind="pdf")

    assert seen["env"] == {}
    assert seen["timeout"] == settings.TICKET_DECODE_TIMEOUT_SECONDS
