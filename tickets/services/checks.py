"""The checks of an upload's input, each raising ValidationFailed with the field."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Event
from events.selectors import event_is_on_sale
from marketplace.core.errors import (
    ValidationFailed,
)
from marketplace.core.money import CENT, money_display, money_str, to_decimal

from ..barcodes import barcode_normalize
from ..models import Ticket

FACE_VALUE_MAX = Decimal("100000.00")
BARCODE_MIN_LENGTH = 4
BARCODE_MAX_LENGTH = 128

# Accepted ticket files, recognised by their first bytes (never by name or by
# the content type the client claims): extension stored, content type served.
FILE_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


# --- upload: input checks -----------------------------------------------------


def invalid(field: str, reason: str, message: str, **extra):
    return ValidationFailed(message, details={"field": field, "reason": reason, **extra})


def event_check_open(*, event: Event) -> None:
    """Tickets are uploaded for events on sale (the rule of events.selectors),
    with the reason when the event is not."""
    if event_is_on_sale(event=event):
        return
    if event.status != Event.Status.PUBLISHED:
        raise invalid(
            "event",
            "EVENT_NOT_PUBLISHED",
            _("Tickets can only be uploaded for published events."),
            status=event.status,
        )
    raise invalid("event", "EVENT_STARTED", _("This event has already started."))


def face_value_clean(value) -> Decimal:
    try:
        amount = to_decimal(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, InvalidOperation):
        amount = None
    if amount is None or not amount.is_finite():
        raise invalid(
            "face_value", "INVALID_NUMBER", _("Enter the face value as a number, e.g. 49.50.")
        )
    if amount <= 0:
        raise invalid("face_value", "NOT_POSITIVE", _("The face value must be more than zero."))
    if amount > FACE_VALUE_MAX:
        raise invalid(
            "face_value",
            "TOO_LARGE",
            _("The face value is higher than Encore accepts."),
            max=money_str(FACE_VALUE_MAX),
        )
    if amount != amount.quantize(CENT):
        raise invalid(
            "face_value", "TOO_MANY_DECIMALS", _("The face value has at most two decimals.")
        )
    return amount.quantize(CENT)


def ticket_type_clean(value) -> str:
    if value not in Ticket.Type.values:
        raise invalid(
            "ticket_type",
            "INVALID_CHOICE",
            _("Choose a ticket type from the list."),
            allowed=list(Ticket.Type.values),
        )
    return str(value)


# What place_clean says of each free-text field: (not text, too long).
PLACE_MESSAGES = {
    "section": (
        gettext_lazy("The section must be text."),
        gettext_lazy("The section has at most %(max_length)s characters."),
    ),
    "row": (
        gettext_lazy("The row must be text."),
        gettext_lazy("The row has at most %(max_length)s characters."),
    ),
    "seat": (
        gettext_lazy("The seat must be text."),
        gettext_lazy("The seat has at most %(max_length)s characters."),
    ),
    "organizer_ticket_number": (
        gettext_lazy("The organizer ticket number must be text."),
        gettext_lazy("The organizer ticket number has at most %(max_length)s characters."),
    ),
}


def place_clean(name: str, value) -> str:
    if value is None:
        return ""
    not_text, too_long = PLACE_MESSAGES[name]
    if not isinstance(value, str):
        raise invalid(name, "INVALID", str(not_text))
    value = value.strip()
    max_length = Ticket._meta.get_field(name).max_length
    if len(value) > max_length:
        raise invalid(
            name,
            "TOO_LONG",
            too_long % {"max_length": max_length},
            max_length=max_length,
        )
    return value


def seat_check(*, ticket_type: str, seat: str) -> None:
    """A seated ticket names its seat: a resale listing must say it (UK Consumer
    Rights Act 2015, s.90)."""
    if ticket_type == Ticket.Type.SEATED and not seat:
        raise invalid(
            "seat", "REQUIRED", _("A seated ticket needs its seat: type the seat number.")
        )


def restrictions_clean(value) -> str:
    """Any restriction on the ticket's use, as free text (the sell form offers the
    common ones, Ticket.COMMON_RESTRICTIONS); "" for none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid("restrictions", "INVALID", _("The restrictions must be text."))
    value = value.strip()
    max_length = Ticket._meta.get_field("restrictions").max_length
    if len(value) > max_length:
        raise invalid(
            "restrictions",
            "TOO_LONG",
            _("The restrictions have at most %(max_length)s characters.")
            % {"max_length": max_length},
            max_length=max_length,
        )
    return value


def organizer_ticket_number_clean(value) -> str:
    """The organizer's own number for the ticket (printed on it, not the barcode);
    "" when the ticket has none."""
    number = place_clean("organizer_ticket_number", value)
    if number and not number.isprintable():
        raise invalid(
            "organizer_ticket_number",
            "INVALID_CHARACTERS",
            _("The ticket number contains invalid characters."),
        )
    return number


def organizer_ticket_number_check(number: str, *, barcode: str) -> None:
    """The ticket number is shown to every buyer: it must not be, or contain, the
    barcode (whoever has the barcode can get in), however it is written."""
    if number and barcode and barcode_normalize(barcode) in barcode_normalize(number):
        raise invalid(
            "organizer_ticket_number",
            "IS_BARCODE",
            _(
                "This is the ticket's barcode, which Encore never shows: type the organizer's "
                "ticket or order number printed on the ticket instead, or leave it empty."
            ),
        )


def barcode_clean(value) -> str:
    """The typed barcode, normalised (tickets.barcodes); "" when none was typed:
    the barcode is read from the file, and a typed one is only compared with it."""
    code = barcode_normalize(value) if isinstance(value, str) else ""
    if not code:
        return ""
    if not BARCODE_MIN_LENGTH <= len(code) <= BARCODE_MAX_LENGTH:
        raise invalid(
            "barcode",
            "INVALID_LENGTH",
            _("A barcode has %(min_length)s to %(max_length)s characters.")
            % {"min_length": BARCODE_MIN_LENGTH, "max_length": BARCODE_MAX_LENGTH},
            min_length=BARCODE_MIN_LENGTH,
            max_length=BARCODE_MAX_LENGTH,
        )
    if not code.isprintable():
        raise invalid(
            "barcode", "INVALID_CHARACTERS", _("The barcode contains invalid characters.")
        )
    return code


def barcode_check_typed_only(code: str) -> str:
    """A typed barcode that no file confirms (the file has no readable code).

    It must be given, and written in ASCII: printed barcodes are letters A-Z,
    digits and punctuation, and outside ASCII look-alike letters ("Đ" for "D",
    Cyrillic "А" for "A") would pass for a new barcode.
    """
    if not code:
        raise invalid(
            "barcode",
            "REQUIRED",
            _(
                "Encore could not read a barcode in this file: type the barcode printed on the "
                "ticket (Encore's staff then check the ticket before it can be sold)."
            ),
        )
    if not code.isascii():
        raise invalid(
            "barcode",
            "INVALID_CHARACTERS",
            _("Type the barcode as printed, with the letters A to Z and digits."),
        )
    return code


def price_clean(*, event: Event, tier_id, face_value):
    """(tier, face value, original fees) of an upload.

    An event with price tiers takes a tier (`tier_id`): the face value and fees
    are the tier's; a typed face value must agree with it. An event without
    tiers takes a typed face value (and no fees).
    """
    tiers = list(event.price_tiers.all())
    if not tiers:
        if tier_id not in (None, ""):
            raise invalid("tier_id", "INVALID_CHOICE", _("This event has no price tiers."))
        return None, face_value_clean(face_value), Decimal("0.00")
    tier = next((t for t in tiers if str(t.pk) == str(tier_id).strip()), None)
    if tier_id in (None, "") or tier is None:
        raise invalid(
            "tier_id",
            "REQUIRED" if tier_id in (None, "") else "INVALID_CHOICE",
            _("Choose the ticket's price tier from the organizer's list."),
            allowed=[t.pk for t in tiers],
        )
    if face_value not in (None, "") and face_value_clean(face_value) != tier.face_value:
        raise invalid(
            "face_value",
            "FACE_VALUE_NOT_TIER",
            _(
                "The face value of %(tier)s is %(face_value)s: leave the face value empty, it "
                "comes from the tier."
            )
            % {"tier": tier.name, "face_value": money_display(tier.face_value, event.currency)},
            tier_face_value=money_str(tier.face_value),
        )
    return tier, tier.face_value, tier.fees


def file_check(file) -> str:
    """The extension of the file's real type (by content); ValidationFailed otherwise."""
    allowed = [ext for _, ext in FILE_SIGNATURES]
    if file is None:
        raise invalid("file", "EMPTY", _("Attach the ticket as a PDF, PNG or JPEG file."))
    if not isinstance(file, File):
        raise TypeError("file must be a django.core.files.File (e.g. an UploadedFile).")
    size = file.size
    max_bytes = settings.TICKET_FILE_MAX_BYTES
    if not size:
        raise invalid("file", "EMPTY", _("The file is empty."))
    if size > max_bytes:
        raise invalid(
            "file", "TOO_LARGE", _("The file is too large."), max_bytes=max_bytes, size=size
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if isinstance(head, bytes):
        for signature, extension in FILE_SIGNATURES:
            if head.startswith(signature):
                return extension
    raise invalid(
        "file",
        "UNSUPPORTED_TYPE",
        _("The ticket must be a PDF, PNG or JPEG file."),
        allowed=allowed,
    )
