"""The tables behind `manage.py seed_demo`: demo accounts, venues, events, ticket tiers.

Plain data and pure builders only; the command in
marketplace/management/commands/seed_demo.py writes them to the database.
Event dates are offsets in days from the day the seed runs.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

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


VENUES = {
    "3arena": Venue(
        "3Arena", "North Wall Quay", "Dublin", "IE", "D01 T0X4", "53.347500", "-6.228500"
    ),
    "aviva": Venue(
        "Aviva Stadium", "Lansdowne Road", "Dublin", "IE", "D04 K5F9", "53.335200", "-6.228400"
    ),
    "bord-gais": Venue(
        "Bord Gais Energy Theatre",
        "Grand Canal Square",
        "Dublin",
        "IE",
        "D02 PA03",
        "53.344100",
        "-6.240100",
    ),
    "vicar-street": Venue(
        "Vicar Street", "58-59 Thomas Street", "Dublin", "IE", "D08 W0F3", "53.343100", "-6.278300"
    ),
    "cork-opera": Venue(
        "Cork Opera House", "Emmet Place", "Cork", "IE", "T12 R9YK", "51.900800", "-8.472900"
    ),
    "pairc": Venue(
        "Pairc Ui Chaoimh", "Marina", "Cork", "IE", "T12 A0CR", "51.900300", "-8.437500"
    ),
    "marina-park": Venue(
        "Marina Park", "Centre Park Road", "Cork", "IE", "T12 XT2V", "51.901400", "-8.443900"
    ),
    "o2": Venue("The O2", "Peninsula Square", "London", "GB", "SE10 0DX", "51.503000", "0.003200"),
    "twickenham": Venue(
        "Twickenham Stadium",
        "200 Whitton Road",
        "London",
        "GB",
        "TW2 7BA",
        "51.456000",
        "-0.341500",
    ),
    "lyceum": Venue(
        "Lyceum Theatre",
        "21 Wellington Street",
        "London",
        "GB",
        "WC2E 7RQ",
        "51.511500",
        "-0.120000",
    ),
    "victoria-park": Venue(
        "Victoria Park", "Grove Road", "London", "GB", "E3 5TB", "51.536200", "-0.038400"
    ),
    "ao-arena": Venue(
        "AO Arena", "Hunts Bank", "Manchester", "GB", "M3 1AR", "53.488100", "-2.243900"
    ),
    "old-trafford": Venue(
        "Old Trafford",
        "Sir Matt Busby Way",
        "Manchester",
        "GB",
        "M16 0RA",
        "53.463100",
        "-2.291300",
    ),
    "palace-mcr": Venue(
        "Palace Theatre", "97 Oxford Street", "Manchester", "GB", "M1 6FT", "53.474200", "-2.241600"
    ),
    "heaton-park": Venue(
        "Heaton Park", "Middleton Road", "Manchester", "GB", "M25 2SW", "53.533300", "-2.250000"
    ),
    "ziggo": Venue(
        "Ziggo Dome", "De Passage 100", "Amsterdam", "NL", "1101 AX", "52.313900", "4.937300"
    ),
    "cruijff": Venue(
        "Johan Cruijff ArenA",
        "Johan Cruijff Boulevard 1",
        "Amsterdam",
        "NL",
        "1101 AX",
        "52.314400",
        "4.941900",
    ),
    "carre": Venue(
        "Koninklijk Theater Carre",
        "Amstel 115-125",
        "Amsterdam",
        "NL",
        "1018 EM",
        "52.362000",
        "4.904200",
    ),
    "ndsm": Venue(
        "NDSM Wharf", "NDSM-Plein 28", "Amsterdam", "NL", "1033 WB", "52.401000", "4.891600"
    ),
    "uber-arena": Venue(
        "Uber Arena", "Uber-Platz 1", "Berlin", "DE", "10243", "52.506400", "13.443800"
    ),
    "olympiastadion": Venue(
        "Olympiastadion", "Olympischer Platz 3", "Berlin", "DE", "14053", "52.514700", "13.239500"
    ),
    "admiralspalast": Venue(
        "Admiralspalast", "Friedrichstrasse 101", "Berlin", "DE", "10117", "52.521400", "13.387900"
    ),
    "tempelhof": Venue(
        "Tempelhofer Feld", "Tempelhofer Damm", "Berlin", "DE", "12101", "52.473000", "13.403000"
    ),
    "accor": Venue(
        "Accor Arena", "8 Boulevard de Bercy", "Paris", "FR", "75012", "48.838600", "2.378600"
    ),
    "stade-de-france": Venue(
        "Stade de France", "ZAC du Cornillon Nord", "Paris", "FR", "93216", "48.924500", "2.360200"
    ),
    "chatelet": Venue(
        "Theatre du Chatelet",
        "1 Place du Chatelet",
        "Paris",
        "FR",
        "75001",
        "48.857600",
        "2.346800",
    ),
    "longchamp": Venue(
        "Hippodrome de Longchamp",
        "2 Route des Tribunes",
        "Paris",
        "FR",
        "75016",
        "48.857800",
        "2.233200",
    ),
    "sant-jordi": Venue(
        "Palau Sant Jordi",
        "Passeig Olimpic 5-7",
        "Barcelona",
        "ES",
        "08038",
        "41.363300",
        "2.152500",
    ),
    "estadi": Venue(
        "Estadi Olimpic Lluis Companys",
        "Passeig Olimpic 15-17",
        "Barcelona",
        "ES",
        "08038",
        "41.364700",
        "2.155600",
    ),
    "liceu": Venue(
        "Gran Teatre del Liceu",
        "La Rambla 51-59",
        "Barcelona",
        "ES",
        "08002",
        "41.380700",
        "2.173500",
    ),
    "forum": Venue(
        "Parc del Forum", "Rambla del Prim 2-4", "Barcelona", "ES", "08019", "41.410600", "2.226800"
    ),
}

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


EVENTS = (
    # Concerts
    DemoEvent(
        "dub-lighthouse-keepers",
        "concert",
        "The Lighthouse Keepers: Harbour Lights Tour",
        "3arena",
        12,
        "19:30",
        "69.50",
        "The Dublin four-piece bring their sea-shanty indie rock home for one night only, "
        "with support from Paper Boats. Doors 18:30.",
        listed=6,
        unlisted=1,
    ),
    DemoEvent(
        "cork-niamh-kelly",
        "concert",
        "An Evening with Niamh Kelly",
        "cork-opera",
        40,
        "20:00",
        "42.00",
        "Songs and stories from the Kerry singer-songwriter, accompanied by a string quartet.",
        listed=4,
    ),
    DemoEvent(
        "lon-aurora-vale",
        "concert",
        "Aurora Vale: Northern Skies Tour",
        "o2",
        20,
        "19:00",
        "75.00",
        "Aurora Vale plays the new album in full, plus the hits, on her only London date.",
        listed=6,
    ),
    DemoEvent(
        "mcr-northern-static",
        "concert",
        "Northern Static with The Low Arches",
        "ao-arena",
        34,
        "19:30",
        "55.00",
        "Manchester's loudest guitar band return to the city for a hometown show.",
    ),
    DemoEvent(
        "ams-midnight-tram",
        "concert",
        "Midnight Tram Live",
        "ziggo",
        47,
        "20:30",
        "62.00",
        "Dutch synth-pop trio Midnight Tram with a full light show. Standing floor and seats.",
        listed=4,
    ),
    DemoEvent(
        "ber-neon-atlas",
        "concert",
        "Neon Atlas World Tour",
        "uber-arena",
        58,
        "20:00",
        "79.00",
        "The electronic duo's world tour reaches Berlin. Support: Kalte Sonne.",
        listed=6,
        unlisted=1,
    ),
    DemoEvent(
        "par-celeste-moreau",
        "concert",
        "Celeste Moreau: Nuits de Paris",
        "accor",
        76,
        "20:00",
        "68.00",
        "Chanson meets orchestral pop: Celeste Moreau with the Orchestre de Chambre de Paris.",
    ),
    DemoEvent(
        "bcn-ecos-del-sur",
        "concert",
        "Los Ecos del Sur",
        "sant-jordi",
        95,
        "21:30",
        "49.00",
        "The Andalusian flamenco-rock band on their farewell tour.",
        listed=4,
    ),
    # Sports
    DemoEvent(
        "dub-leinster-munster",
        "sports",
        "Leinster v Munster: URC Interprovincial",
        "aviva",
        9,
        "19:35",
        "45.00",
        "The great Irish rugby rivalry, under the lights at Lansdowne Road.",
        listed=6,
        unlisted=1,
    ),
    DemoEvent(
        "cork-hurling",
        "sports",
        "Cork v Kilkenny: Hurling Championship",
        "pairc",
        26,
        "16:00",
        "35.00",
        "Munster's Rebels meet the Cats in a championship clash on the banks of the Lee.",
        listed=4,
    ),
    DemoEvent(
        "mcr-derby",
        "sports",
        "Manchester Derby: United v City",
        "old-trafford",
        16,
        "16:30",
        "58.00",
        "The city divides for ninety minutes. Away section sold out; home seats only.",
        listed=6,
    ),
    DemoEvent(
        "lon-england-australia",
        "sports",
        "England v Australia: Autumn Rugby International",
        "twickenham",
        64,
        "15:10",
        "85.00",
        "The Wallabies come to Twickenham for the opening test of the autumn series.",
    ),
    DemoEvent(
        "ams-klassieker",
        "sports",
        "Ajax v Feyenoord: De Klassieker",
        "cruijff",
        30,
        "14:30",
        "55.00",
        "The biggest match in Dutch football. Club card not required for resale tickets.",
        listed=4,
    ),
    DemoEvent(
        "ber-hertha-union",
        "sports",
        "Hertha BSC v Union Berlin",
        "olympiastadion",
        44,
        "15:30",
        "38.00",
        "The Berlin derby in the Olympiastadion.",
    ),
    DemoEvent(
        "par-france-italy",
        "sports",
        "France v Italy: Rugby International",
        "stade-de-france",
        85,
        "21:00",
        "70.00",
        "Les Bleus host the Azzurri at the Stade de France.",
        listed=4,
    ),
    DemoEvent(
        "bcn-legends",
        "sports",
        "Barcelona Legends v Madrid Legends",
        "estadi",
        110,
        "18:00",
        "30.00",
        "Retired greats of both clubs in a charity match for youth football.",
        listed=4,
    ),
    # Theater
    DemoEvent(
        "dub-les-miserables",
        "theater",
        "Les Miserables",
        "bord-gais",
        14,
        "19:30",
        "65.00",
        "The world's longest-running musical in a new touring production.",
        listed=6,
    ),
    DemoEvent(
        "lon-lion-king",
        "theater",
        "The Lion King",
        "lyceum",
        22,
        "19:30",
        "72.50",
        "Disney's award-winning musical in the West End. Suitable for ages 6 and up.",
    ),
    DemoEvent(
        "mcr-matilda",
        "theater",
        "Matilda the Musical",
        "palace-mcr",
        38,
        "14:30",
        "45.00",
        "The Royal Shakespeare Company's musical, matinee performance.",
        listed=4,
    ),
    DemoEvent(
        "ams-swan-lake",
        "theater",
        "Swan Lake: Dutch National Ballet",
        "carre",
        52,
        "20:00",
        "59.00",
        "Tchaikovsky's ballet with live orchestra in the Royal Theatre Carre on the Amstel.",
    ),
    DemoEvent(
        "ber-cabaret",
        "theater",
        "Cabaret",
        "admiralspalast",
        68,
        "19:30",
        "62.00",
        "Willkommen! Kander and Ebb's musical back in the city where it is set.",
        listed=4,
    ),
    DemoEvent(
        "par-carmen",
        "theater",
        "Carmen",
        "chatelet",
        80,
        "20:00",
        "85.00",
        "Bizet's opera in a new staging, sung in French with English surtitles.",
    ),
    DemoEvent(
        "bcn-traviata",
        "theater",
        "La Traviata",
        "liceu",
        100,
        "20:00",
        "90.00",
        "Verdi's masterpiece at the Gran Teatre del Liceu.",
        listed=4,
    ),
    # Festivals
    DemoEvent(
        "cork-harbourfest",
        "festival",
        "Cork Harbourfest",
        "marina-park",
        55,
        "12:00",
        "89.00",
        "Two days of folk, trad and indie by the water. Weekend ticket, camping not included.",
        listed=6,
        unlisted=1,
    ),
    DemoEvent(
        "lon-victoria-park",
        "festival",
        "Victoria Park Summer Sessions",
        "victoria-park",
        71,
        "13:00",
        "79.50",
        "East London's park festival: three stages, street food, last entry 19:00.",
    ),
    DemoEvent(
        "mcr-heaton-park",
        "festival",
        "Heaton Park Weekender",
        "heaton-park",
        88,
        "12:00",
        "119.00",
        "The north's biggest weekend of guitar music. Weekend wristband.",
        listed=4,
    ),
    DemoEvent(
        "ams-ndsm-electronic",
        "festival",
        "NDSM Electronic",
        "ndsm",
        62,
        "14:00",
        "95.00",
        "Techno and house in the old shipyard halls of Amsterdam-Noord.",
    ),
    DemoEvent(
        "ber-tempelhof-sounds",
        "festival",
        "Tempelhof Sounds",
        "tempelhof",
        105,
        "13:00",
        "139.00",
        "Three days on the runways of the former airport.",
        listed=4,
    ),
    DemoEvent(
        "par-longchamp-electro",
        "festival",
        "Longchamp Electro Festival",
        "longchamp",
        92,
        "15:00",
        "110.00",
        "Electronic music at the racecourse in the Bois de Boulogne.",
        listed=4,
    ),
    DemoEvent(
        "bcn-primavera-nights",
        "festival",
        "Primavera Nights",
        "forum",
        115,
        "17:00",
        "155.00",
        "Indie, pop and electronic music by the sea at the Parc del Forum.",
        listed=6,
    ),
    # Other
    DemoEvent(
        "dub-comedy-gala",
        "other",
        "Laugh Out Loud: Comedy Gala",
        "vicar-street",
        18,
        "20:00",
        "32.00",
        "Five of Ireland's best stand-ups in one night, hosted by Aoife Brennan.",
        listed=4,
    ),
    DemoEvent(
        "par-esports-finals",
        "other",
        "European Esports League Finals",
        "accor",
        50,
        "13:00",
        "39.00",
        "The season's final day: semi-finals and grand final on the big screen.",
        listed=4,
    ),
    # Shown to nobody but its organizer: pages must leave these two out.
    DemoEvent(
        "dub-unplugged-draft",
        "concert",
        "Encore Unplugged (to be announced)",
        "vicar-street",
        60,
        "20:00",
        "28.00",
        "A secret acoustic line-up, to be announced.",
        status="draft",
        listed=0,
    ),
    DemoEvent(
        "lon-winter-warmup-past",
        "concert",
        "Winter Warm-up Gig",
        "o2",
        -21,
        "19:30",
        "45.00",
        "Last month's show: it has happened, its tickets are no longer on sale.",
        status="completed",
        listed=0,
    ),
)


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
