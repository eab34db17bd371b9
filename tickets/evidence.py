"""The ticket file is the evidence: its content hash, and the barcode printed in it.

`evidence_read` hashes the bytes (SHA-256: the same file uploaded twice is the
same ticket) and reads the barcodes with pypdfium2 (PDF pages), Pillow (PNG,
JPEG) and zxing-cpp (QR, Aztec, PDF417, Data Matrix and 1-D codes), in a
process of its own (tickets/decoder.py) held to TICKET_DECODE_* limits: pages,
resolution, pixels, memory and time. A file it cannot read is a clear
ValidationFailed on the field "file", never a 500.
"""

import hashlib
import json
import logging
import signal
import subprocess  # noqa: S404 (our own decoder, run by absolute path, no shell)
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.core.errors import ValidationFailed

from .barcodes import barcode_normalize

logger = logging.getLogger(__name__)

DECODER = Path(__file__).with_name("decoder.py")

# What the decoder's refusals mean to a seller.
REFUSALS = {
    "UNREADABLE": (
        "UNREADABLE_FILE",
        gettext_lazy(
            "Encore could not open this file: it may be damaged. Upload the ticket as the box "
            "office sent it, or a screenshot of it (PNG or JPEG)."
        ),
    ),
    "PDF_PROTECTED": (
        "PDF_PROTECTED",
        gettext_lazy(
            "This PDF is protected by a password: upload a copy without one, or a screenshot."
        ),
    ),
    "TOO_MANY_PAGES": (
        "TOO_MANY_PAGES",
        gettext_lazy(
            "A ticket file has at most %(max_pages)s pages: upload each ticket as a file of its "
            "own."
        ),
    ),
    "TOO_MANY_PIXELS": (
        "TOO_MANY_PIXELS",
        gettext_lazy("This image is too large to read: upload a smaller screenshot of the ticket."),
    ),
    "TOO_LARGE_TO_READ": (
        "FILE_TOO_COMPLEX",
        gettext_lazy(
            "This file needs too much memory to read: upload a screenshot of the ticket instead."
        ),
    ),
    "TIMEOUT": (
        "FILE_TOO_COMPLEX",
        gettext_lazy("This file took too long to read: upload a screenshot of the ticket instead."),
    ),
}


@dataclass(frozen=True)
class Evidence:
    """What a ticket file proves: its content hash and the barcode it carries."""

    sha256: str
    code: str | None  # the barcode read from the file, normalised; None if it has none
    symbology: str | None  # e.g. "QR Code"
    pages: int


def file_content(file) -> bytes:
    """The whole file (its size is checked against TICKET_FILE_MAX_BYTES before)."""
    file.seek(0)
    content = file.read()
    file.seek(0)
    return content


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _refused(reason: str, **extra) -> ValidationFailed:
    code, message = REFUSALS.get(reason, REFUSALS["UNREADABLE"])
    details = {"field": "file", "reason": code}
    if code == "TOO_MANY_PAGES":
        details.update(max_pages=settings.TICKET_DECODE_MAX_PAGES, pages=extra.get("pages"))
    return ValidationFailed(
        message % {"max_pages": settings.TICKET_DECODE_MAX_PAGES}, details=details
    )


def _limits(kind: str) -> dict:
    timeout = settings.TICKET_DECODE_TIMEOUT_SECONDS
    return {
        "kind": kind,
        "max_pages": settings.TICKET_DECODE_MAX_PAGES,
        "dpi": settings.TICKET_DECODE_DPI,
        "max_pixels": settings.TICKET_DECODE_MAX_PIXELS,
        "memory_mb": settings.TICKET_DECODE_MEMORY_MB,
        "cpu_seconds": max(1, int(timeout + 0.999)),
    }


def barcodes_read(content: bytes, *, kind: str) -> dict:
    """Run the decoder on `content` (kind pdf, png or jpg) and return its answer.

    Raises ValidationFailed (field "file") when it refuses the file, overruns
    TICKET_DECODE_TIMEOUT_SECONDS, or dies.
    """
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv: this interpreter, our decoder)
            [sys.executable, "-I", str(DECODER), json.dumps(_limits(kind))],
            input=content,
            capture_output=True,
            timeout=settings.TICKET_DECODE_TIMEOUT_SECONDS,
            # The decoder needs nothing from ours: no secret reaches a stranger's file.
            env={},
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning("Ticket file decoding overran %ss", settings.TICKET_DECODE_TIMEOUT_SECONDS)
        raise _refused("TIMEOUT") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        # Stopped by its CPU limit (SIGXCPU), or crashed inside a decoder (which
        # is also how an allocation beyond its memory limit ends in C code).
        logger.warning(
            "Ticket file decoder failed (exit %s): %s",
            done.returncode,
            done.stderr[-500:].decode("utf-8", "replace"),
        )
        raise _refused("TIMEOUT" if done.returncode == -signal.SIGXCPU else "UNREADABLE")
    if "error" in answer:
        raise _refused(answer["error"], **answer)
    return answer


def _canonical(code: dict) -> str:
    """A decoded barcode in the form typed ones take (tickets.barcodes); binary
    payloads (signed or compressed data) and text with control characters are
    compared by their bytes, in hex."""
    text = barcode_normalize(code.get("text") or "")
    if code.get("binary") or not text.isprintable():
        return (code.get("hex") or "").upper()
    return text


def evidence_read(content: bytes, *, kind: str) -> Evidence:
    """The evidence in a ticket file of `kind` (pdf, png or jpg).

    Raises ValidationFailed (field "file") for a file the decoder cannot read
    (reasons UNREADABLE_FILE, PDF_PROTECTED, TOO_MANY_PAGES, TOO_MANY_PIXELS,
    FILE_TOO_COMPLEX) or one holding different barcodes (MULTIPLE_BARCODES:
    several tickets in one file would be sold as one).
    """
    answer = barcodes_read(content, kind=kind)
    found: dict[str, str] = {}
    for code in answer.get("codes", []):
        value = _canonical(code)
        if value:
            found.setdefault(value, code.get("format") or "")
    if len(found) > 1:
        raise ValidationFailed(
            _(
                "This file holds %(count)s different barcodes: upload each ticket as a file of "
                "its own."
            )
            % {"count": len(found)},
            details={"field": "file", "reason": "MULTIPLE_BARCODES", "count": len(found)},
        )
    code, symbology = next(iter(found.items()), (None, None))
    return Evidence(
        sha256=file_sha256(content), code=code, symbology=symbology, pages=answer.get("pages", 0)
    )
