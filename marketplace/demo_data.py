"""The tables behind `manage.py seed_demo`: demo accounts, venues, events, ticket tiers.

Venues and events are data, in demo_catalogue.json beside this file.

Plain data and pure builders only; the command in
marketplace/management/commands/seed_demo.py writes them to the database.
Event dates are offsets in days from the day the seed runs.
"""

import json
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

from marketplace.money import quantize_money

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


def _pdf_text(value: str) -> bytes:
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def ticket_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (A4, Helvetica) showing `lines`: enough for any PDF reader."""
    text = [b"BT /F1 16 Tf 20 TL 56 780 Td"]
    for i, line in enumerate(lines):
        text.append((b"" if i == 0 else b"T* ") + _pdf_text(line) + b" Tj")
    text.append(b"ET")
    stream = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
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
