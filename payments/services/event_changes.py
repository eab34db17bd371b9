"""What a cancelled or moved event does to its sales (ARCHITECTURE.md, rule 12).

Cancelled: a job settles the event's sales in batches, each item in a database
transaction of its own that re-checks the item's state under a row lock or a
conditional UPDATE, so a second worker, a retry or a restart after a crash
skips what is done: reservations released (PaymentIntent cancelled), open
listings withdrawn (the seller told), purchases in escrow refunded in full
(the dispute refund's path: Stripe refund with the transaction's idempotency
key, ticket void, payout cancelled; the buyer told the amount), purchases
whose money already reached the seller handed to staff (the buyer told what
happens next). The run's counters move in the same transactions as the items.

Moved: buyers whose money Encore still holds are told once per move, and may
choose a full refund instead of the new date for POSTPONEMENT_REFUND_DAYS.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from events.models import Event
from listings.models import Listing, WaitlistOffer
from listings.services import listing_withdraw_for_cancelled_event
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import DomainError, ServiceUnavailable, ValidationFailed
from marketplace.core.money import money_str
from messaging.models import Notification
from messaging.services import notification_create
from payments.models import (
    Dispute,
    EventCancellation,
    EventCancellationOutcome,
    Transaction,
)
from payments.selectors import postponement_refund_until, transaction_get_for_buyer

from .disputes import no_open_chargeback, sale_refund
from .payment import parties_notify, payment_payload, transaction_release

logger = logging.getLogger(__name__)

# Money paid and still held by Encore: refunded when the event is cancelled.
IN_ESCROW = (Transaction.Status.PAID, Transaction.Status.DISPUTED)
# A run that has not moved for this long (its worker died, its task was lost)
# is taken up again by the periodic job.
STALE_RUN = datetime.timedelta(minutes=2)


# --- Event cancelled -----------------------------------------------------------------


def _count(run: EventCancellation, counter: str, **extra) -> None:
    # Inside the item's transaction: the counter moves if and only if the item did.
    EventCancellation.objects.filter(pk=run.pk).update(
        **{counter: F(counter) + 1}, updated_at=timezone.now(), **extra
    )


def _sales_of(event: Event):
    return Transaction.objects.filter(listing__ticket__event=event)


def _reservations_due(event: Event):
    return _sales_of(event).filter(status=Transaction.Status.PENDING_PAYMENT)


def _listings_due(event: Event):
    # On sale, or held for a fan on the waiting list (withdrawn with its offer).
    return Listing.objects.filter(ticket__event=event).filter(
        Q(status=Listing.Status.ACTIVE)
        | Q(
            status=Listing.Status.PENDING,
            waitlist_offers__state__in=WaitlistOffer.HOLDING_STATES,
        )
    )


def _escrow_due(event: Event):
    return _sales_of(event).filter(status__in=IN_ESCROW, event_cancellation="")


def _paid_out_due(event: Event):
    return _sales_of(event).filter(status=Transaction.Status.COMPLETED, event_cancellation="")


def _reservation_release(*, pk: int, run: EventCancellation) -> None:
    with transaction.atomic():
        # A conditional UPDATE from pending_payment inside: a payment that wins
        # the race is refunded with the paid purchases, in a later step.
        if transaction_release(transaction_id=pk, reason="event_cancelled"):
            _count(run, "reservations_released")


def _listing_withdraw(*, pk: int, run: EventCancellation) -> None:
    with transaction.atomic():
        if listing_withdraw_for_cancelled_event(listing_id=pk):
            _count(run, "listings_withdrawn")


def _open_buyer_dispute_settle(txn: Transaction, now) -> None:
    # A buyer's report open when the event was cancelled: the refund settles it.
    for dispute in Dispute.objects.filter(
        transaction=txn, kind=Dispute.Kind.BUYER, status=Dispute.Status.OPEN
    ):
        note = "The event was cancelled: refunded in full."
        Dispute.objects.filter(pk=dispute.pk).update(
            status=Dispute.Status.RESOLVED_REFUND,
            resolution_note=note,
            resolved_at=now,
            updated_at=now,
        )
        audit_log_record(
            actor=None,
            action=AuditAction.DISPUTE_RESOLVED_REFUND,
            entity=dispute,
            changes={
                "status": {"from": Dispute.Status.OPEN, "to": Dispute.Status.RESOLVED_REFUND},
                "note": note,
            },
        )


def _purchase_refund(*, pk: int, run: EventCancellation) -> None:
    """Refund one purchase in escrow. The row lock is taken with SKIP LOCKED:
    a purchase another worker is refunding right now is left to it (the run
    only finishes once nothing is due). Re-checked under the lock, so a purchase
    refunded meanwhile is skipped; the refund's idempotency key makes Stripe
    answer a call repeated after a crash with the same, single refund."""
    with transaction.atomic():
        txn = (
            Transaction.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("listing__ticket__event", "buyer", "seller")
            .filter(pk=pk, status__in=IN_ESCROW, event_cancellation="")
            .first()
        )
        if txn is None:
            return
        no_open_chargeback(txn.pk)
        sale_refund(actor=None, txn=txn, note="event_cancelled")
        _open_buyer_dispute_settle(txn, timezone.now())
        Transaction.objects.filter(pk=txn.pk).update(
            event_cancellation=EventCancellationOutcome.REFUNDED
        )
        _count(run, "refunded")
        parties_notify(txn, Notification.Type.REFUND, reason="event_cancelled")


def _buyer_told(txn: Transaction, situation: str) -> None:
    notification_create(
        user=txn.buyer,
        type=Notification.Type.EVENT_CANCELLED,
        payload=payment_payload(
            txn, role="buyer", situation=situation, event_id=txn.listing.ticket.event_id
        ),
    )


def _for_staff(
    *,
    pk: int,
    run: EventCancellation,
    due,
    outcome: str,
    situation: str,
    counter: str,
    last_error: str = "",
    **extra,
) -> None:
    """Mark one purchase for staff with `outcome`, claimed by one conditional
    UPDATE on the `due` queryset (a second worker finds it claimed), audited,
    counted, and its buyer told what happens next."""
    with transaction.atomic():
        claimed = (
            due(run.event)
            .filter(pk=pk)
            .update(event_cancellation=outcome, updated_at=timezone.now())
        )
        if claimed != 1:
            return
        txn = Transaction.objects.select_related("listing__ticket__event", "buyer").get(pk=pk)
        audit_log_record(
            actor=None,
            action=AuditAction.TRANSACTION_EVENT_CANCELLED_PAID_OUT,
            entity=txn,
            changes={"event_cancellation": outcome, **extra},
        )
        _count(run, counter, **({"last_error": last_error} if last_error else {}))
        _buyer_told(txn, situation)


def _paid_out_hand_to_staff(*, pk: int, run: EventCancellation) -> None:
    """The seller already has the money: nothing is taken back automatically."""
    _for_staff(
        pk=pk,
        run=run,
        due=_paid_out_due,
        outcome=EventCancellationOutcome.FOR_STAFF,
        situation="paid_out",
        counter="handed_to_staff",
    )


def _refund_failed(*, pk: int, run: EventCancellation, error: DomainError) -> None:
    """Stripe refused the refund (or a chargeback holds the money): for staff."""
    message = f"Transaction #{pk}: {error.message}"
    logger.error("Event %s cancelled: refund refused: %s", run.event_id, message)
    _for_staff(
        pk=pk,
        run=run,
        due=_escrow_due,
        outcome=EventCancellationOutcome.REFUND_FAILED,
        situation="refund_review",
        counter="failed",
        last_error=message,
        error=error.message,
    )


# In order: a released reservation puts its listing back on sale, withdrawn next.
_PHASES = (
    (_reservations_due, _reservation_release),
    (_listings_due, _listing_withdraw),
    (_escrow_due, _purchase_refund),
    (_paid_out_due, _paid_out_hand_to_staff),
)


def event_cancellation_step(*, event_id: int, batch_size: int | None = None) -> bool:
    """Settle up to `batch_size` (EVENT_CANCELLATION_BATCH) items of a cancelled
    event's sales; returns True while some remain (the task then runs the next
    batch). Safe to run twice at once and again after a crash: each item is
    settled once. The run is finished when nothing is left.

    Raises ServiceUnavailable (Stripe unreachable: the run keeps the error and
    the task retries later; nothing is counted twice).
    """
    event = Event.objects.filter(pk=event_id, status=Event.Status.CANCELLED).first()
    if event is None:
        return False
    # get_or_create copes with two workers creating it at once (unique event).
    run, _ = EventCancellation.objects.get_or_create(event=event)
    if run.state == EventCancellation.State.FINISHED:
        return False
    budget = batch_size or settings.EVENT_CANCELLATION_BATCH
    for due, settle in _PHASES:
        for pk in list(due(event).order_by("pk").values_list("pk", flat=True)[:budget]):
            budget -= 1
            try:
                settle(pk=pk, run=run)
            except ServiceUnavailable as exc:
                EventCancellation.objects.filter(pk=run.pk).update(
                    last_error=f"Stripe unreachable: {exc.message}", updated_at=timezone.now()
                )
                raise
            except DomainError as exc:
                # Stripe refused (or the buyer's bank holds the money): for staff.
                _refund_failed(pk=pk, run=run, error=exc)
        if budget <= 0:
            break
    EventCancellation.objects.filter(pk=run.pk).update(
        batches=F("batches") + 1, updated_at=timezone.now()
    )
    if any(due(event).exists() for due, _ in _PHASES):
        return True
    return _run_finish(run)


def _run_finish(run: EventCancellation) -> bool:
    now = timezone.now()
    with transaction.atomic():
        finished = EventCancellation.objects.filter(
            pk=run.pk, state=EventCancellation.State.RUNNING
        ).update(state=EventCancellation.State.FINISHED, finished_at=now, updated_at=now)
        if finished:
            run.refresh_from_db()
            audit_log_record(
                actor=None,
                action=AuditAction.EVENT_CANCELLATION_FINISHED,
                entity=run.event,
                changes={
                    name: getattr(run, name)
                    for name in (
                        "listings_withdrawn",
                        "reservations_released",
                        "refunded",
                        "handed_to_staff",
                        "failed",
                        "batches",
                    )
                },
            )
    return False


def event_cancellations_unfinished(*, limit: int = 100) -> list[int]:
    """Cancelled events whose run never started (its task was lost with the
    broker) or has not moved for STALE_RUN (its worker died): the periodic
    job takes them up again."""
    stale = timezone.now() - STALE_RUN
    return list(
        Event.objects.filter(status=Event.Status.CANCELLED)
        .filter(
            Q(cancellation_run__isnull=True)
            | Q(
                cancellation_run__state=EventCancellation.State.RUNNING,
                cancellation_run__updated_at__lte=stale,
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- Event moved ---------------------------------------------------------------------


def _when(moment: datetime.datetime, event: Event) -> str:
    local = moment.astimezone(event.starts_at.tzinfo)
    return f"{local:%a %d %b %Y, %H:%M} ({event.time_zone})"


def _when_display(moment: datetime.datetime, event: Event) -> str:
    """`moment` on the event's clock, as the reader's language writes it."""
    local = moment.astimezone(event.starts_at.tzinfo)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} ({event.time_zone})"


def _move_not_told(event: Event):
    """Paid purchases (money held) made before the move whose buyer was not told of it."""
    return _sales_of(event).filter(
        Q(event_move_notified_at__isnull=True) | Q(event_move_notified_at__lt=event.moved_at),
        status=Transaction.Status.PAID,
        paid_at__lt=event.moved_at,
    )


def event_moved_notify_step(*, event_id: int, batch_size: int | None = None) -> bool:
    """Tell the buyers in escrow of a moved event, once per move, of the new
    start and until when they may choose a full refund instead. Up to
    `batch_size` buyers; returns True while some remain. Safe to run twice at
    once: each buyer is claimed by a conditional UPDATE."""
    event = Event.objects.filter(
        pk=event_id, status=Event.Status.PUBLISHED, moved_at__isnull=False
    ).first()
    if event is None:
        return False
    budget = batch_size or settings.EVENT_CANCELLATION_BATCH
    due = _move_not_told(event)
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:budget]):
        with transaction.atomic():
            if due.filter(pk=pk).update(event_move_notified_at=event.moved_at) != 1:
                continue
            txn = Transaction.objects.select_related("listing__ticket__event", "buyer").get(pk=pk)
            until = postponement_refund_until(txn)
            audit_log_record(
                actor=None,
                action=AuditAction.TRANSACTION_EVENT_MOVED_NOTIFIED,
                entity=txn,
                changes={"moved_at": event.moved_at.isoformat()},
            )
            notification_create(
                user=txn.buyer,
                type=Notification.Type.EVENT_MOVED,
                payload=payment_payload(
                    txn,
                    role="buyer",
                    event_id=event.pk,
                    starts_at=event.starts_at.isoformat(),
                    starts_at_display=_when(event.starts_at, event),
                    refund_until=until.isoformat() if until else None,
                    refund_until_display=_when(until, event) if until else "",
                    refund_days=settings.POSTPONEMENT_REFUND_DAYS,
                ),
            )
    return due.exists()


def event_moves_unnotified(*, limit: int = 100) -> list[int]:
    """Events moved within POSTPONEMENT_REFUND_DAYS with buyers not told yet
    (the task was lost with the broker): the periodic job tells them."""
    since = timezone.now() - datetime.timedelta(days=settings.POSTPONEMENT_REFUND_DAYS)
    not_told = Q(
        tickets__listings__transactions__status=Transaction.Status.PAID,
        tickets__listings__transactions__paid_at__lt=F("moved_at"),
    ) & (
        Q(tickets__listings__transactions__event_move_notified_at__isnull=True)
        | Q(tickets__listings__transactions__event_move_notified_at__lt=F("moved_at"))
    )
    return list(
        Event.objects.filter(status=Event.Status.PUBLISHED, moved_at__gte=since)
        .filter(not_told)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )


# --- The buyer's choice after a move -----------------------------------------------------


def _postponement_refund_check(txn: Transaction, now) -> None:
    if txn.status != Transaction.Status.PAID:
        raise ValidationFailed(
            _("Only a paid purchase whose money Encore still holds can be refunded this way."),
            details={"field": "transaction", "reason": "NOT_REFUNDABLE", "status": txn.status},
        )
    event = txn.listing.ticket.event
    until = postponement_refund_until(txn)
    if event.status != Event.Status.PUBLISHED or until is None:
        raise ValidationFailed(
            _("This event has not moved since you paid: the ticket stands."),
            details={"field": "transaction", "reason": "EVENT_NOT_MOVED"},
        )
    if now >= until:
        raise ValidationFailed(
            _(
                "The time to choose a refund after the event moved ended on %(date)s: your "
                "ticket is for the new date."
            )
            % {"date": _when_display(until, event)},
            details={
                "field": "transaction",
                "reason": "POSTPONEMENT_REFUND_CLOSED",
                "closedAt": until.isoformat(),
            },
        )


def transaction_postponement_refund(*, buyer, transaction_id: int, ip_address=None) -> Transaction:
    """The buyer of a paid purchase whose event moved after the payment chooses
    a full refund instead of the new date, within POSTPONEMENT_REFUND_DAYS of
    the move and before the new start: Stripe refund, ticket void, payout
    cancelled (the dispute refund's path); both parties are told.

    Raises NotFound (not the buyer's), PermissionDenied (its seller),
    ValidationFailed (reason NOT_REFUNDABLE: not paid or no longer held;
    EVENT_NOT_MOVED; POSTPONEMENT_REFUND_CLOSED, with closedAt; CHARGEBACK_OPEN),
    PaymentFailed or ServiceUnavailable (Stripe refused or is down: nothing
    changes, and trying again refunds once).
    """
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    _postponement_refund_check(txn, timezone.now())
    with transaction.atomic():
        # Lock the sale: a double click, or the buyer confirming receipt in
        # another tab, waits and then finds it no longer paid.
        locked = (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("listing__ticket__event", "buyer", "seller")
            .filter(pk=txn.pk)
            .first()
        )
        _postponement_refund_check(locked, timezone.now())
        no_open_chargeback(locked.pk)
        sale_refund(actor=buyer, txn=locked, note="event_moved", ip_address=ip_address)
        parties_notify(
            locked,
            Notification.Type.REFUND,
            reason="event_moved",
            refunded=money_str(locked.final_price),
        )
    txn.refresh_from_db()
    return txn
