"""The status timeline of one transaction, as its buyer and seller see it.

Built from the transaction's own dates (reserved, paid, confirmed), its
disputes, and its audit rows (cancelled, refunded, who completed it): two
queries, whatever the history. Transactions written without audit rows (old
data, fixtures) still get a timeline from their fields.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import date_format

from marketplace.core.audit import AuditAction
from marketplace.core.models import AuditLog

from .models import Dispute, Transaction
from .services.escrow import auto_confirm_due_at

DONE, CURRENT, UPCOMING = "done", "current", "upcoming"

CANCEL_REASONS = {
    "reservation_expired": "The reservation expired and the ticket went back on sale.",
    "payment_failed": "The card was declined and the ticket went back on sale.",
    "service_unavailable": "The payment service was unavailable; nothing was charged.",
    "event_cancelled": "The event was cancelled; nothing was charged.",
}
# Why a sale was refunded, from the refund's audit row (its note).
REFUND_REASONS = {
    "event_cancelled": "The event was cancelled: the buyer was refunded in full automatically "
    "and the ticket was voided.",
    "event_moved": "The event moved and the buyer chose a full refund instead of the new date; "
    "the ticket was voided.",
}
COMPLETED_BY = {
    AuditAction.TRANSACTION_CONFIRMED: "The buyer confirmed they have the ticket.",
    AuditAction.TRANSACTION_AUTO_CONFIRMED: (
        "Completed automatically after the event: no problem was reported."
    ),
    AuditAction.TRANSACTION_RELEASED_BY_STAFF: "Encore staff released the payment to the seller.",
}


@dataclass(frozen=True)
class TimelineStep:
    key: str  # reserved, paid, disputed, resolved, completed, refunded, cancelled
    label: str
    state: str  # done, current or upcoming
    at: datetime.datetime | None = None
    note: str = ""


def _audit_rows(txn: Transaction) -> dict[str, AuditLog]:
    """The first audit row of each action on the transaction."""
    rows = AuditLog.objects.filter(entity_type="transaction", entity_id=str(txn.pk)).order_by(
        "created_at", "id"
    )
    first: dict[str, AuditLog] = {}
    for row in rows:
        first.setdefault(row.action, row)
    return first


def transaction_timeline(*, txn: Transaction) -> list[TimelineStep]:
    """What happened to `txn`, oldest first, then what comes next (upcoming).
    The steps follow the state machine, so their order is also their dates' order."""
    audit = _audit_rows(txn)
    disputes = list(Dispute.objects.filter(transaction_id=txn.pk).order_by("created_at", "id"))
    status = txn.status
    steps = [
        TimelineStep(
            "reserved",
            "Reserved",
            DONE,
            txn.created_at,
            f"The ticket was held for {settings.RESERVATION_MINUTES} minutes for payment.",
        )
    ]
    if status == Transaction.Status.CANCELLED:
        row = audit.get(AuditAction.TRANSACTION_CANCELLED)
        reason = (row.changes or {}).get("reason", "") if row else ""
        steps.append(
            TimelineStep(
                "cancelled",
                "Cancelled",
                DONE,
                row.created_at if row else txn.updated_at,
                CANCEL_REASONS.get(reason, "The purchase was cancelled; nothing was charged."),
            )
        )
        if AuditAction.TRANSACTION_LATE_PAYMENT_REFUNDED in audit:
            late = audit[AuditAction.TRANSACTION_LATE_PAYMENT_REFUNDED]
            steps.append(
                TimelineStep(
                    "refunded",
                    "Refunded",
                    DONE,
                    late.created_at,
                    "A payment that arrived after the reservation ended was refunded in full.",
                )
            )
        return steps
    if status == Transaction.Status.PENDING_PAYMENT:
        steps.append(
            TimelineStep("paid", "Payment", CURRENT, None, "Waiting for the card payment.")
        )
        steps.append(TimelineStep("completed", "Ticket received", UPCOMING))
        return steps
    steps.append(
        TimelineStep(
            "paid",
            "Paid",
            DONE,
            txn.paid_at,
            "The money is held by Encore; the ticket is the buyer's to download.",
        )
    )
    for dispute in disputes:
        steps.append(
            TimelineStep(
                "disputed",
                "Problem reported",
                DONE,
                dispute.created_at,
                dispute.get_reason_display(),
            )
        )
        if dispute.resolved_at:
            steps.append(
                TimelineStep(
                    "resolved",
                    "Problem settled",
                    DONE,
                    dispute.resolved_at,
                    dispute.get_status_display(),
                )
            )
    if status == Transaction.Status.COMPLETED:
        action = next((a for a in COMPLETED_BY if a in audit), AuditAction.TRANSACTION_CONFIRMED)
        steps.append(
            TimelineStep(
                "completed",
                "Completed",
                DONE,
                txn.confirmed_at or (audit[action].created_at if action in audit else None),
                COMPLETED_BY[action] + " The seller's payout was released.",
            )
        )
    elif status == Transaction.Status.REFUNDED:
        row = audit.get(AuditAction.TRANSACTION_REFUNDED)
        steps.append(
            TimelineStep(
                "refunded",
                "Refunded",
                DONE,
                row.created_at if row else txn.updated_at,
                REFUND_REASONS.get(
                    (row.changes or {}).get("note", "") if row else "",
                    "The buyer was refunded in full and the ticket was voided.",
                ),
            )
        )
    elif status == Transaction.Status.DISPUTED:
        steps.append(
            TimelineStep(
                "completed",
                "Decision",
                UPCOMING,
                None,
                "Encore staff are looking at the problem; the payout stays held until they decide.",
            )
        )
    else:  # paid, waiting for the buyer
        due = auto_confirm_due_at(txn)
        steps.append(
            TimelineStep(
                "completed",
                "Ticket received",
                CURRENT,
                None,
                "The buyer confirms they have the ticket, or the sale completes "
                f"automatically {settings.AUTO_CONFIRM_HOURS} hours after the event "
                f"({date_format(due, 'D j M Y, H:i')} {due.tzname()}, the venue's time) "
                "if no problem is reported.",
            )
        )
    return steps
