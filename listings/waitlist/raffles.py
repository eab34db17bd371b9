"""Raffles: for an on-sale moment (the first minutes after a hot event's
tickets appear), fans who join within the window are placed in a random order,
drawn once, instead of by who typed fastest; all of them ahead of those who
join later, behind those who were already waiting.

The draw is public and can be checked again: the seed is drawn by `secrets`,
and the audit row of the draw records it with every entrant's id and weight.
`raffle_draw_order` is the whole algorithm (a weighted random order,
Efraimidis and Spirakis 2006: each entrant's key is u ** (1 / weight), u
uniform from Python's Mersenne Twister seeded with the seed, taken in the
order of the entries' ids; highest key first). A fan who was in an earlier
raffle of the event and got no ticket draws with weight 2.
"""

import datetime
import random
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_can_organize
from events.selectors import event_is_on_sale
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import PermissionDenied, ValidationFailed

from ..models import WaitlistEntry, WaitlistOffer, WaitlistRaffle
from .offers import micros, pass_on_after_commit

ALGORITHM = "efraimidis-spirakis weighted order, random.Random(seed), u ** (1 / weight)"


def raffle_draw_order(*, seed: str, entrants: list[tuple[int, int]]) -> list[int]:
    """The drawn order of `entrants` ((entry id, weight) pairs): entry ids, first
    in line first. The same seed and entrants always give the same order."""
    rng = random.Random(seed)  # noqa: S311 (reproducible from the published seed, by design)
    keyed = [(rng.random() ** (1.0 / weight), entry_id) for entry_id, weight in sorted(entrants)]
    keyed.sort(key=lambda pair: (-pair[0], pair[1]))
    return [entry_id for _, entry_id in keyed]


def raffle_weight(entry: WaitlistEntry) -> int:
    return 2 if entry.raffles_lost else 1


def _can_open(*, actor, event) -> bool:
    if actor.is_staff:
        return True
    return event.organizer_id == actor.pk and user_can_organize(user=actor)


def waitlist_raffle_open(*, actor, event, minutes, ip_address=None) -> WaitlistRaffle:
    """Open a raffle window of `minutes` (1 to WAITLIST_RAFFLE_MAX_MINUTES) from
    now on `event`'s waiting list, by its organizer or staff.

    Raises PermissionDenied, or ValidationFailed (reason OUT_OF_RANGE for the
    minutes, EVENT_NOT_ON_SALE, RAFFLE_ALREADY_OPEN)."""
    if not _can_open(actor=actor, event=event):
        raise PermissionDenied(_("Only the event's organizer or Encore's staff can open a raffle."))
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= settings.WAITLIST_RAFFLE_MAX_MINUTES:
        raise ValidationFailed(
            _("A raffle lasts 1 to %(max)d minutes.")
            % {"max": settings.WAITLIST_RAFFLE_MAX_MINUTES},
            details={
                "field": "minutes",
                "reason": "OUT_OF_RANGE",
                "min": 1,
                "max": settings.WAITLIST_RAFFLE_MAX_MINUTES,
            },
        )
    now = timezone.now()
    if not event_is_on_sale(event=event, now=now):
        raise ValidationFailed(
            _("This event is not on sale."),
            details={"field": "event", "reason": "EVENT_NOT_ON_SALE"},
        )
    closes_at = min(now + datetime.timedelta(minutes=minutes), event.starts_at)
    with transaction.atomic():
        if (
            WaitlistRaffle.objects.select_for_update()
            .filter(event=event, drawn_at__isnull=True)
            .exists()
        ):
            raise ValidationFailed(
                _("A raffle of this event is open or waiting for its draw already."),
                details={"field": "minutes", "reason": "RAFFLE_ALREADY_OPEN"},
            )
        raffle = WaitlistRaffle.objects.create(
            event=event, opens_at=now, closes_at=closes_at, opened_by=actor
        )
        audit_log_record(
            actor=actor,
            action=AuditAction.WAITLIST_RAFFLE_OPENED,
            entity=raffle,
            changes={
                "event_id": event.pk,
                "opens_at": now.isoformat(),
                "closes_at": closes_at.isoformat(),
            },
            ip_address=ip_address,
        )
    return raffle


def raffle_open_for(*, event_id: int, now) -> WaitlistRaffle | None:
    """The raffle a fan joining now enters: open and undrawn."""
    return WaitlistRaffle.objects.filter(
        event_id=event_id, drawn_at__isnull=True, opens_at__lte=now, closes_at__gt=now
    ).first()


def waitlist_raffle_draw(*, raffle_id: int) -> bool:
    """Draw a raffle whose window has closed: each entrant gets a place in line
    by the seeded weighted order, from the raffle's opening on; the seed and
    the entrants go to the audit trail; the tickets held for the draw are
    passed on once it commits. False when not due or drawn already (safe to
    run twice at once)."""
    now = timezone.now()
    with transaction.atomic():
        raffle = (
            WaitlistRaffle.objects.select_for_update()
            .filter(pk=raffle_id, drawn_at__isnull=True, closes_at__lte=now)
            .first()
        )
        if raffle is None:
            return False
        entries = list(
            WaitlistEntry.objects.select_for_update()
            .filter(raffle=raffle, state=WaitlistEntry.State.WAITING, position__isnull=True)
            .order_by("id")
        )
        entrants = [(entry.pk, raffle_weight(entry)) for entry in entries]
        seed = secrets.token_hex(16)
        order = raffle_draw_order(seed=seed, entrants=entrants)
        start = micros(raffle.opens_at)
        by_pk = {entry.pk: entry for entry in entries}
        for place, entry_id in enumerate(order):
            by_pk[entry_id].position = start + place
            by_pk[entry_id].updated_at = now
        WaitlistEntry.objects.bulk_update(entries, ["position", "updated_at"], batch_size=1000)
        raffle.seed, raffle.drawn_at, raffle.entrants = seed, now, len(entries)
        raffle.save(update_fields=["seed", "drawn_at", "entrants"])
        audit_log_record(
            actor=None,
            action=AuditAction.WAITLIST_RAFFLE_DRAWN,
            entity=raffle,
            changes={
                "seed": seed,
                "algorithm": ALGORITHM,
                "entrants": [list(pair) for pair in entrants],
                "order": order,
            },
        )
        held = WaitlistOffer.objects.filter(
            listing__ticket__event_id=raffle.event_id, state=WaitlistOffer.State.HELD
        ).values_list("listing_id", flat=True)
        for listing_id in held:
            pass_on_after_commit(listing_id)
    return True


def waitlist_raffles_draw_due() -> int:
    """Periodic: draw every raffle whose window has closed."""
    due = WaitlistRaffle.objects.filter(
        drawn_at__isnull=True, closes_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(waitlist_raffle_draw(raffle_id=pk) for pk in list(due))


def raffle_verify(*, raffle: WaitlistRaffle, audited: dict) -> bool:
    """Whether the order recorded by a draw's audit row follows from its seed
    and entrants (anyone with the audit row can run the same check)."""
    entrants = [tuple(pair) for pair in audited.get("entrants", [])]
    return raffle_draw_order(seed=audited.get("seed", ""), entrants=entrants) == audited.get(
        "order"
    )
