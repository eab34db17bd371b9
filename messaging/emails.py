"""The email of a notification: templates/emails/notifications/<type>.html,
rendered in the recipient's language (marketplace.core.emails), with the
links, dates and attachments it needs.

Payloads carry money as strings with their currency, and moments as ISO 8601
strings; here the moments become datetimes on the event's own clock, which
the templates write with the named date formats of the recipient's language.
"""

import base64
import datetime
import zoneinfo

from django.conf import settings
from django.templatetags.tz import do_timezone
from django.utils import translation

from events.images import event_picture_url
from events.models import Event
from marketplace.core.emails import RenderedEmail, email_language, email_render
from marketplace.core.ids import as_id
from payments.models import Dispute, Transaction

from .models import Notification

# Payload keys holding a moment (ISO 8601), shown as "<key>_when".
MOMENTS = ("starts_at", "refund_until", "expires_at")


# The picture's width in an email (the layout is 600 px wide; twice for sharp screens).
EMAIL_PICTURE_WIDTH = 960


def notification_template(type: str) -> str:
    return f"emails/notifications/{type}.html"


def _event_zone(payload: dict):
    event_id = as_id(payload.get("event_id"))
    name = (
        Event.objects.filter(pk=event_id).values_list("time_zone", flat=True).first()
        if event_id is not None
        else None
    )
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _moments(payload: dict) -> dict:
    """ "starts_at_when" etc.: the payload's moments on the event's clock (or
    at the offset they were written with), for the template's date filter;
    "" for a moment the payload lacks."""
    found = {}
    for key in MOMENTS:
        found[f"{key}_when"] = ""
        found.setdefault(f"{key}_display", "")
        value = payload.get(key)
        if not isinstance(value, str) or not value:
            continue
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            continue
        if moment.tzinfo is None:
            continue
        if "zone" not in found:
            found["zone"] = _event_zone(payload)
        # Marked as already local: the template must not convert it again.
        found[f"{key}_when"] = do_timezone(moment, found["zone"] or moment.tzinfo)
    found.pop("zone", None)
    return found


def notification_context(*, user, payload: dict) -> dict:
    context = {
        **payload,
        "payload": payload,
        "user": user,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "dispute_window_hours": settings.DISPUTE_WINDOW_HOURS,
        **_moments(payload),
    }
    # The payload's own words win over the defaults above.
    context.update({key: value for key, value in payload.items() if key.endswith("_display")})
    if payload.get("reason") in Dispute.Reason.values:
        context["reason_display"] = Dispute.Reason(payload["reason"]).label
    return context


def _attachment(*, filename: str, mimetype: str, content: bytes) -> dict:
    return {
        "filename": filename,
        "mimetype": mimetype,
        "content_base64": base64.b64encode(content).decode("ascii"),
    }


def _purchase_calendar(*, user, payload: dict) -> list[dict]:
    """The buyer's payment email carries the event as a calendar file."""
    from payments.calendar import transaction_calendar

    transaction_id = as_id(payload.get("transaction_id"))
    if transaction_id is None:
        return []
    txn = (
        Transaction.objects.select_related("listing__ticket__event")
        .filter(pk=transaction_id, buyer_id=user.pk)
        .first()
    )
    if txn is None:
        return []
    calendar = transaction_calendar(txn)
    return [
        _attachment(
            filename=calendar.filename, mimetype=calendar.mimetype, content=calendar.content
        )
    ]


def notification_attachments(*, user, type: str, payload: dict) -> list[dict]:
    """The files an email of `type` carries (the outbox's attachments field)."""
    if type == Notification.Type.PAYMENT and payload.get("role") == "buyer":
        return _purchase_calendar(user=user, payload=payload)
    return []


def _event_of(payload: dict) -> Event | None:
    """The event a notification is about: named, or through its sale or listing."""
    event_id = as_id(payload.get("event_id"))
    if event_id is not None:
        return Event.objects.filter(pk=event_id).first()
    transaction_id = as_id(payload.get("transaction_id"))
    if transaction_id is not None:
        return Event.objects.filter(tickets__listings__transactions__pk=transaction_id).first()
    listing_id = as_id(payload.get("listing_id"))
    if listing_id is not None:
        return Event.objects.filter(tickets__listings__pk=listing_id).first()
    return None


def event_picture_context(payload: dict) -> dict:
    """The event's picture at the head of its email: its absolute address, or
    none (a category picture is an SVG, which mail programs do not show)."""
    event = _event_of(payload)
    url = event_picture_url(event, width=EMAIL_PICTURE_WIDTH) if event is not None else None
    return {"event_picture_url": url or "", "event_picture_alt": event.name if url else ""}


def notification_email(*, user, type: str, payload: dict) -> tuple[RenderedEmail, list[dict]]:
    """The subject, HTML and text of the email of one notification, in
    `user`'s language, and its attachments."""
    language = email_language(user)
    with translation.override(language):
        attachments = notification_attachments(user=user, type=type, payload=payload)
    context = {
        **notification_context(user=user, payload=payload),
        **event_picture_context(payload),
        "has_calendar": bool(attachments),
    }
    return email_render(notification_template(type), context, language=language), attachments


def notification_text(notification: Notification) -> str:
    """One sentence saying what a notification is about (its email's subject,
    in the active language): the notifications page lists them."""
    payload = notification.payload or {}
    context = notification_context(user=None, payload=payload)
    context["user"] = None
    return email_render(notification_template(notification.type), context).subject
