"""Joining and leaving an event's waiting list."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_can_trade
from events.selectors import event_is_on_sale
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.money import money_str, to_decimal
from marketplace.core.versions import waitlist_changed

from ..models import WaitlistEntry
from .offers import fan_lock, micros, offers_withdraw_for_entry
from .raffles import raffle_open_for
from .selectors import fan_holdings, waitlist_quantity_max

TEXT_MAX_LENGTH = WaitlistEntry._meta.get_field("section").max_length


def _quantity(value) -> int:
    limit = waitlist_quantity_max()
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= limit:
        raise ValidationFailed(
            _("Choose how many tickets you want: 1 to %(max)d.") % {"max": limit},
            details={"field": "quantity", "reason": "OUT_OF_RANGE", "min": 1, "max": limit},
        )
    return quantity


def _max_price(value) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        price = to_decimal(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise ValidationFailed(
            _("The highest price must be an amount, such as 80.00."),
            details={"field": "max_price", "reason": "INVALID_NUMBER"},
        ) from exc
    if price <= 0 or price >= Decimal("10000000000"):
        raise ValidationFailed(
            _("The highest price must be more than zero."),
            details={"field": "max_price", "reason": "OUT_OF_RANGE"},
        )
    return price


def _text(value, *, field: str) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationFailed(
            _("At most %(max)d characters.") % {"max": TEXT_MAX_LENGTH},
            details={"field": field, "reason": "TOO_LONG", "max": TEXT_MAX_LENGTH},
        )
    return text


def waitlist_join(
    *,
    fan,
    event,
    quantity=1,
    max_price=None,
    section="",
    ticket_type="",
    ip_address=None,
) -> tuple[WaitlistEntry, bool]:
    """Put `fan` on `event`'s waiting list for `quantity` tickets (1 up to the
    purchase limit per event), at most `max_price` each if given, of one
    section or ticket type if named. Returns (entry, created).

    A fan already waiting changes what they wait for and keeps their place; a
    fan who left joins again at the back. Joining while a raffle window is
    open enters the raffle: the place is drawn when the window closes.

    Raises PermissionDenied (account may not trade: email not confirmed,
    suspended) or ValidationFailed (event not on sale; quantity, max_price,
    section or ticket_type out of range; the fan's tickets reach the quantity
    already: WAITLIST_NOTHING_TO_WAIT_FOR).
    """
    if not user_can_trade(user=fan):
        raise PermissionDenied(
            _("Confirm your email address to join a waiting list."),
            details={"reason": "EMAIL_NOT_CONFIRMED" if not fan.email_verified else "BLOCKED"},
        )
    wanted = {
        "quantity": _quantity(quantity),
        "max_price": _max_price(max_price),
        "section": _text(section, field="section"),
        "ticket_type": _text(ticket_type, field="ticket_type"),
    }
    now = timezone.now()
    if not event_is_on_sale(event=event, now=now):
        raise ValidationFailed(
            _("This event is not on sale: its waiting list is closed."),
            details={"field": "event", "reason": "EVENT_NOT_ON_SALE"},
        )
    with transaction.atomic():
        fan_lock(fan.pk)
        if fan_holdings(fan_id=fan.pk, event_id=event.pk) >= wanted["quantity"]:
            raise ValidationFailed(
                _("You already have that many tickets for this event."),
                details={"field": "quantity", "reason": "WAITLIST_NOTHING_TO_WAIT_FOR"},
            )
        entry = WaitlistEntry.objects.select_for_update().filter(event=event, fan=fan).first()
        if entry is not None and entry.state == WaitlistEntry.State.WAITING:
            return _change(entry=entry, wanted=wanted, fan=fan, ip_address=ip_address), False
        raffle = raffle_open_for(event_id=event.pk, now=now)
        waitlist_changed(event_id=event.pk)
        place = {
            "state": WaitlistEntry.State.WAITING,
            "joined_at": now,
            "position": None if raffle else micros(now),
            "raffle": raffle,
            "lapses": 0,
        }
        if entry is None:
            try:
                with transaction.atomic():
                    entry = WaitlistEntry.objects.create(event=event, fan=fan, **wanted, **place)
            except IntegrityError as exc:  # the same fan's other tab, a moment earlier
                raise ValidationFailed(
                    _("You are on this waiting list already."),
                    details={"field": "event", "reason": "ALREADY_ON_WAITLIST"},
                ) from exc
        else:
            if raffle is not None and entry.raffle_id and entry.raffle_id != raffle.pk:
                # In an earlier raffle of this event and no ticket since: one
                # extra draw weight in this one.
                entry.raffles_lost += 1 if not fan_holdings(fan_id=fan.pk, event_id=event.pk) else 0
            for field, value in {**wanted, **place}.items():
                setattr(entry, field, value)
            entry.save()
        audit_log_record(
            actor=fan,
            action=AuditAction.WAITLIST_JOINED,
            entity=entry,
            changes={
                "event_id": event.pk,
                **_wanted_audit(wanted),
                "position": entry.position,
                "raffle_id": raffle.pk if raffle else None,
            },
            ip_address=ip_address,
        )
    return entry, True


def _wanted_audit(wanted: dict) -> dict:
    return {
        **wanted,
        "max_price": money_str(wanted["max_price"]) if wanted["max_price"] is not None else None,
    }


def _change(*, entry: WaitlistEntry, wanted: dict, fan, ip_address) -> WaitlistEntry:
    changed = {
        field: {"from": getattr(entry, field), "to": value}
        for field, value in wanted.items()
        if getattr(entry, field) != value
    }
    if not changed:
        return entry
    for field, value in wanted.items():
        setattr(entry, field, value)
    entry.save(update_fields=[*wanted, "updated_at"])
    for field in ("max_price",):
        if field in changed:
            changed[field] = {
                side: money_str(amount) if amount is not None else None
                for side, amount in changed[field].items()
            }
    audit_log_record(
        actor=fan,
        action=AuditAction.WAITLIST_CHANGED,
        entity=entry,
        changes=changed,
        ip_address=ip_address,
    )
    return entry


def waitlist_leave(*, fan, event_id: int, ip_address=None) -> WaitlistEntry:
    """Take `fan` off the event's waiting list, at any time: an offer open to
    them ends and its ticket goes to the next fan. Raises NotFound when they
    are not on it."""
    now = timezone.now()
    with transaction.atomic():
        fan_lock(fan.pk)
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(event_id=event_id, fan=fan, state=WaitlistEntry.State.WAITING)
            .first()
        )
        if entry is None:
            raise NotFound(_("You are not on this waiting list."))
        entry.state = WaitlistEntry.State.LEFT
        entry.save(update_fields=["state", "updated_at"])
        waitlist_changed(event_id=event_id)
        withdrawn = offers_withdraw_for_entry(
            entry=entry, now=now, actor=fan, ip_address=ip_address
        )
        audit_log_record(
            actor=fan,
            action=AuditAction.WAITLIST_LEFT,
            entity=entry,
            changes={
                "state": {"from": WaitlistEntry.State.WAITING, "to": WaitlistEntry.State.LEFT},
                "offers_withdrawn": withdrawn,
            },
            ip_address=ip_address,
        )
    return entry
