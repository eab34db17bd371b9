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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from marketplace.core.audit import AuditAction
from marketplace.core.models import AuditLog

from .models import Dispute, Transaction
from .services.escrow import auto_confirm_due_at

DONE, CURRENT, UPCOMING = "done", "current", "upcoming"

CANCEL_REASONS = {
    "reservation_expired": gettext_lazy(
        "The reservation expired and the ticket went back on sale."
    ),
    "payment_failed": gettext_lazy("The card was declined and the ticket went back on sale."),
    "service_unavailable": gettext_lazy(
        "The payment service was unavailable; nothing was charged."
    ),
    "event_cancelled": gettext_lazy("The event was cancelled; nothing was charged."),
}
# Why a sale was refunded, from the refund's audit row (its note).
REFUND_REASONS = {
    "event_cancelled": gettext_lazy(
        "The event was cancelled: the buyer was refunded in full automatically and the ticket "
        "was voided."
    ),
    "event_moved": gettext_lazy(
        "The event moved and the buyer chose a full refund instead of the new date; the ticket "
        "was voided."
    ),
}
# Who completed a sale, each followed by what it means for the seller.
COMPLETED_BY = {
    AuditAction.TRANSACTION_CONFIRMED: gettext_lazy(
        "The buyer confirmed they have the ticket. The seller's payout was released."
    ),
    AuditAction.TRANSACTION_AUTO_CONFIRMED: gettext_lazy(
        "Completed automatically after the event: no problem was reported. The seller's "
        "payout was released."
    ),
    AuditAction.TRANSACTION_RELEASED_BY_STAFF: gettext_lazy(
        "Encore staff released the payment to the seller. The seller's payout was released."
    ),
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
            _("Reserved"),
            DONE,
            txn.created_at,
            ngettext(
                "The ticket was held for %(minutes)s minute for payment.",
                "The ticket was held for %(minutes)s minutes for payment.",
                settings.RESERVATION_MINUTES,
            )
            % {"minutes": settings.RESERVATION_MINUTES},
        )
    ]
    if status == Transaction.Status.CANCELLED:
        row = audit.get(AuditAction.TRANSACTION_CANCELLED)
        reason = (row.changes or {}).get("reason", "") if row else ""
        steps.append(
            TimelineStep(
                "cancelled",
                _("Cancelled"),
                DONE,
                row.created_at if row else txn.updated_at,
                CANCEL_REASONS.get(reason, _("The purchase was cancelled; nothing was charged.")),
            )
        )
        if AuditAction.TRANSACTION_LATE_PAYMENT_REFUNDED in audit:
            late = audit[AuditAction.TRANSACTION_LATE_PAYMENT_REFUNDED]
            steps.append(
                TimelineStep(
                    "refunded",
                    _("Refunded"),
                    DONE,
                    late.created_at,
                    _("A payment that arrived after the reservation ended was refunded in full."),
                )
            )
        return steps
    if status == Transaction.Status.PENDING_PAYMENT:
        steps.append(
            TimelineStep("paid", _("Payment"), CURRENT, None, _("Waiting for the card payment."))
        )
        steps.append(TimelineStep("completed", _("Ticket received"), UPCOMING))
        return steps
    steps.append(
        TimelineStep(
            "paid",
            _("Paid"),
            DONE,
            txn.paid_at,
            _("The money is held by Encore; the ticket is the buyer's to download."),
        )
    )
    for dispute in disputes:
        steps.append(
            TimelineStep(
                "disputed",
                _("Problem reported"),
                DONE,
                dispute.created_at,
                dispute.get_reason_display(),
            )
        )
        if dispute.resolved_at:
            steps.append(
                TimelineStep(
                    "resolved",
                    _("Problem settled"),
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
                _("Completed"),
                DONE,
                txn.confirmed_at or (audit[action].created_at if action in audit else None),
                str(COMPLETED_BY[action]),
            )
        )
    elif status == Transaction.Status.REFUNDED:
        row = audit.get(AuditAction.TRANSACTION_REFUNDED)
        steps.append(
            TimelineStep(
                "refunded",
                _("Refunded"),
                DONE,
                row.created_at if row else txn.updated_at,
                REFUND_REASONS.get(
                    (row.changes or {}).get("note", "") if row else "",
                    _("The buyer was refunded in full and the ticket was voided."),
                ),
            )
        )
    elif status == Transaction.Status.DISPUTED:
        steps.append(
            TimelineStep(
                "completed",
                _("Decision"),
                UPCOMING,
                None,
                _(
                    "Encore staff are looking at the problem; the payout stays held until they "
                    "decide."
                ),
            )
        )
    else:  # paid, waiting for the buyer
        due = auto_confirm_due_at(txn)
        steps.append(
            TimelineStep(
                "completed",
                _("Ticket received"),
                CURRENT,
                None,
                _(
                    "The buyer confirms they have the ticket, or the sale completes "
                    "automatically %(hours)s hours after the event (%(date)s %(zone)s, the "
                    "venue's time) if no problem is reported."
                )
                % {
                    "hours": settings.AUTO_CONFIRM_HOURS,
                    "date": date_format(due, "DATETIME_FORMAT"),
                    "zone": due.tzname(),
                },
            )
        )
    return steps
