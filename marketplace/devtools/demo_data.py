"""The tables behind `manage.py seed_demo`: demo accounts, venues, events, ticket tiers.

Venues and events are data, in demo_catalogue.json beside this file.

Plain data and pure builders only; the command in
marketplace/devtools/management/commands/seed_demo.py writes them to the database.
Event dates are offsets in days from the day the seed runs.
"""

import io
import json
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import segno

from marketplace.core.money import quantize_money

# --- Accounts -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str | None  # None: an unusable password, the account cannot log in
    name: str
    role: str  # accounts.models.User.Role value
    staff: bool = False


# The four accounts README.md documents; keep both in step.
DOCUMENTED_ACCOUNTS = (
    DemoAccount("buyer@encore.test", "encore-buyer-2026", "Bea Buyer", "user"),
    DemoAccount("seller@encore.test", "encore-seller-2026", "Sam Seller", "user"),
    DemoAccount("organizer@encore.test", "encore-organizer-2026", "Olive Organizer", "organizer"),
    DemoAccount("staff@encore.test", "encore-staff-2026", "Stella Staff", "admin", staff=True),
)

# More sellers so the catalogue is not one person's tickets. They are not
# documented and cannot log in (unusable passwords): they only own tickets.
EXTRA_SELLERS = (
    DemoAccount("seller2@encore.test", None, "Finn Fanning", "user"),
    DemoAccount("seller3@encore.test", None, "Greta Gigs", "user"),
    DemoAccount("seller4@encore.test", None, "Hugo Hart", "user"),
)

SELLER_EMAILS = ("seller@encore.test",) + tuple(a.email for a in EXTRA_SELLERS)
ORGANIZER_EMAIL = "organizer@encore.test"
DEMO_SELLER_EMAIL = "seller@encore.test"
DEMO_BUYER_EMAIL = "buyer@encore.test"

# --- Venues -------------------------------------------------------------------


@dataclass(frozen=True)
class Venue:
    name: str
    location: str
    city: str
    country: str
    postal_code: str
    latitude: str
    longitude: str
    time_zone: str  # the venue's clock (ES has the Canaries: every venue names its zone)

    @property
    def currency(self) -> str:
        return "GBP" if self.country == "GB" else "EUR"


def _load_catalogue() -> dict:
    """Venues and events live in demo_catalogue.json, one per line."""
    with open(Path(__file__).with_name("demo_catalogue.json"), encoding="utf-8") as f:
        return json.load(f)


_CATALOGUE = _load_catalogue()
VENUES = {key: Venue(**venue) for key, venue in _CATALOGUE["venues"].items()}

# --- Ticket tiers -------------------------------------------------------------

# Per category: (ticket_type, section, share of the event's base face value).
# Tickets of an event cycle through its category's tiers.
TIERS = {
    "concert": (
        ("standing", "Standing", "1.00"),
        ("seated", "Lower Tier 104", "1.25"),
        ("seated", "Upper Tier 312", "0.80"),
    ),
    "sports": (
        ("seated", "Lower Stand", "1.00"),
        ("seated", "Upper Stand", "0.75"),
        ("vip", "Hospitality", "2.50"),
    ),
    "theater": (
        ("seated", "Stalls", "1.00"),
        ("seated", "Dress Circle", "0.85"),
        ("seated", "Balcony", "0.60"),
    ),
    "festival": (
        ("general_admission", "Weekend", "1.00"),
        ("vip", "VIP Weekend", "1.60"),
    ),
    "other": (("general_admission", "General Admission", "1.00"),),
}

# A typical base face value per category, used by the benchmark events.
BASE_FACE_VALUE = {
    "concert": Decimal("65.00"),
    "sports": Decimal("45.00"),
    "theater": Decimal("55.00"),
    "festival": Decimal("149.00"),
    "other": Decimal("30.00"),
}


def tier_face_value(base: Decimal, share: str) -> Decimal:
    """A tier's face value: the base times its share, to the nearest 50 cents like a box office."""
    return _to_half(base * Decimal(share), ROUND_HALF_UP)


# The box office's booking fee on each ticket, as a share of its face value.
FEE_SHARE = Decimal("0.10")


def tier_fees(face_value: Decimal) -> Decimal:
    """A tier's unavoidable fees: FEE_SHARE of its face value, to the nearest 50 cents."""
    return _to_half(face_value * FEE_SHARE, ROUND_HALF_UP)


# Events of these categories get no price tiers from the organizer: their
# sellers type the face value (the path where Encore compares it with the
# event's other tickets, and staff review the outliers).
UNTIERED_CATEGORIES = ("other",)

# One upload in the staff's review queue: the demo seller's ticket for this
# event, a PDF in which no barcode can be read, its barcode typed.
REVIEW_EVENT_KEY = "dub-comedy-gala"


def seat_for(ticket_type: str, n: int) -> tuple[str, str]:
    """(row, seat) of the n-th ticket of an event; standing tickets have neither."""
    if ticket_type in ("seated", "vip"):
        return "ABCDEFGHJK"[n % 10], str(11 + n)
    return "", ""


# --- Events -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoEvent:
    key: str  # stored as metadata["demo_key"]; never change it, re-runs find events by it
    category: str
    name: str
    venue: str  # a VENUES key
    day: int  # days from the seed's day
    time: str  # "HH:MM", local
    base_face: str
    description: str
    status: str = "published"
    listed: int = 5  # tickets on sale
    unlisted: int = 0  # extra tickets the demo seller holds, not listed


# Drafts and past events are in the catalogue too: pages must leave them out.
EVENTS = tuple(DemoEvent(**event) for event in _CATALOGUE["events"])


def demo_barcode(event_key: str, n: int, *, listed: bool) -> str:
    """A deterministic barcode, so that a re-run finds the ticket it made before."""
    return f"DEMO-{event_key}-{'L' if listed else 'K'}{n:03d}"


def review_barcode(event_key: str) -> str:
    return f"DEMO-{event_key}-R000"


def bench_barcode(bench_key: int, n: int) -> str:
    return f"BENCH-{bench_key:07d}-{n:04d}"


# --- Prices -------------------------------------------------------------------


def demo_price(*, limits, face_value: Decimal, mode: int, fraction: Decimal) -> Decimal:
    """A listing price inside `limits` (listings.pricing.price_limits): a seller's choice.

    mode 0 lists at face value, 1 at the cap, 2 below face value, 3 between face
    value and the cap; `fraction` (0..1) says where in the range. Prices below
    the cap are whole 50 cents, as people choose them.
    """
    face = min(max(face_value, limits.min_price), limits.max_price)
    if mode == 0:
        return face
    if mode == 1:
        return limits.max_price
    if mode == 2:
        price = _to_half(limits.min_price + (face - limits.min_price) * fraction, ROUND_CEILING)
    else:
        price = _to_half(face + (limits.max_price - face) * fraction, ROUND_FLOOR)
    return min(max(price, limits.min_price), limits.max_price)


def _to_half(value: Decimal, rounding: str) -> Decimal:
    return quantize_money((value * 2).to_integral_value(rounding=rounding) / 2)


# --- Ticket files -------------------------------------------------------------

# Where the QR code sits on an A4 page (points): below the text, 170 pt square
# (6 cm), as box offices print them.
QR_LEFT, QR_BOTTOM, QR_SIZE = 56, 420, 170


def _pdf_text(value: str) -> bytes:
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def qr_drawing(code: str, *, left=QR_LEFT, bottom=QR_BOTTOM, size=QR_SIZE) -> bytes:
    """PDF drawing operators that paint `code` as a QR code (segno), one rectangle
    per run of dark modules: vector, so it stays sharp at any resolution."""
    matrix = segno.make(code, error="m", micro=False).matrix
    module = size / len(matrix)
    ops = [b"0 g"]
    for r, row in enumerate(matrix):
        y = bottom + size - (r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            ops.append(
                b"%.3f %.3f %.3f %.3f re" % (left + start * module, y, (c - start) * module, module)
            )
    ops.append(b"f")
    return b"\n".join(ops)


def ticket_pdf(lines: list[str], *, code: str | None = None, pages: int = 1) -> bytes:
    """A PDF (A4, Helvetica) showing `lines`, and `code` as a QR code when given:
    what a box office sends, readable by any PDF reader and any barcode scanner.
    Pages after the first (`pages`) carry only the conditions of sale."""
    text = [b"BT /F1 16 Tf 20 TL 56 780 Td"]
    for i, line in enumerate(lines):
        text.append((b"" if i == 0 else b"T* ") + _pdf_text(line) + b" Tj")
    text.append(b"ET")
    if code is not None:
        text.append(qr_drawing(code))
    streams = [b"\n".join(text)]
    for page in range(2, pages + 1):
        streams.append(
            b"BT /F1 12 Tf 56 780 Td " + _pdf_text(f"Conditions of sale, page {page}") + b" Tj ET"
        )
    # Objects: 1 catalog, 2 pages, 3 font, then a page and its content per page.
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(streams),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def ticket_png(code: str, *, scale: int = 8) -> bytes:
    """A QR code alone as a PNG, as a screenshot of a ticket app shows it."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
