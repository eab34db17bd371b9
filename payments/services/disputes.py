"""Disputes: the buyer reports a problem, staff settle it (ARCHITECTURE.md, rule 7)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core import metrics
from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from messaging.models import Notification
from messaging.services import notification_create
from payments import gateway
from payments.models import BUYER_DISPUTE_REASONS, Dispute, Payout, Transaction
from payments.selectors import transaction_get_for_buyer
from tickets.models import Ticket

from .escrow import escrow_release
from .payment import parties_notify
from .payouts import payout_take_back, payout_take_back_for

DESCRIPTION_MAX_LENGTH = 4000
# A payout whose money never left Encore: a refund or a lost chargeback cancels it.
PAYOUT_NOT_SENT = (
    Payout.Status.HELD,
    Payout.Status.SCHEDULED,
    Payout.Status.FAILED,
    Payout.Status.FROZEN,
)


def dispute_window_closes_at(txn: Transaction) -> datetime.datetime:
    """DISPUTE_WINDOW_HOURS real hours after the event's start on the venue's clock
    (counted in UTC, so a daylight-saving change in between adds or takes no hour)."""
    start = txn.listing.ticket.event.starts_at
    return (
        start.astimezone(datetime.UTC) + datetime.timedelta(hours=settings.DISPUTE_WINDOW_HOURS)
    ).astimezone(start.tzinfo)


def _notify_parties(txn: Transaction, dispute: Dispute, type_: str, **extra) -> None:
    payload = {
        "transaction_id": txn.pk,
        "dispute_id": dispute.pk,
        "event_name": txn.listing.ticket.event.name,
        **extra,
    }
    for user in (txn.buyer, txn.seller):
        notification_create(user=user, type=type_, payload=payload)


def dispute_open(
    *, buyer, transaction_id: int, reason: str, description: str, ip_address=None
) -> Dispute:
    """The buyer reports a problem with a paid purchase, up to DISPUTE_WINDOW_HOURS
    after the event: the seller's payout stays held until staff decide.

    Raises NotFound (not the buyer's transaction), PermissionDenied (its
    seller) or ValidationFailed (bad
    reason or description, not paid, already disputed, window closed).
    """
    txn = transaction_get_for_buyer(user=buyer, transaction_id=transaction_id)
    buyer_reasons = [value for value, _ in BUYER_DISPUTE_REASONS]
    if reason not in buyer_reasons:
        raise ValidationFailed(
            _("Choose one of the reasons."),
            details={"field": "reason", "reason": "INVALID_CHOICE", "choices": buyer_reasons},
        )
    description = (description or "").strip()
    if not description or len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationFailed(
            _("Describe the problem in 1 to %(max_length)s characters.")
            % {"max_length": DESCRIPTION_MAX_LENGTH},
            details={
                "field": "description",
                "reason": "EMPTY" if not description else "TOO_LONG",
                "maxLength": DESCRIPTION_MAX_LENGTH,
            },
        )
    if timezone.now() > dispute_window_closes_at(txn):
        raise ValidationFailed(
            _("The time to report a problem with this purchase has passed."),
            details={"field": "transaction", "reason": "DISPUTE_WINDOW_CLOSED"},
        )
    with transaction.atomic():
        # Only a paid purchase can be disputed, once: the conditional UPDATE
        # also stops a dispute racing the buyer's own confirmation.
        moved = Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.PAID).update(
            status=Transaction.Status.DISPUTED, updated_at=timezone.now()
        )
        if moved != 1:
            raise ValidationFailed(
                _(
                    "Only a paid purchase that is not completed or already disputed can be "
                    "disputed."
                ),
                details={"field": "transaction", "reason": "NOT_DISPUTABLE"},
            )
        dispute = Dispute.objects.create(
            transaction=txn, opened_by=buyer, reason=reason, description=description
        )
        audit_log_record(
            actor=buyer,
            action=AuditAction.TRANSACTION_DISPUTED,
            entity=txn,
            changes={
                "status": {"from": Transaction.Status.PAID, "to": Transaction.Status.DISPUTED}
            },
            ip_address=ip_address,
        )
        audit_log_record(
            actor=buyer,
            action=AuditAction.DISPUTE_OPENED,
            entity=dispute,
            changes={"reason": reason},
            ip_address=ip_address,
        )
        _notify_parties(txn, dispute, Notification.Type.DISPUTE_OPENED, reason=reason)
    return dispute


def require_staff(user) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can settle disputes."))


def sale_refunded(*, txn: Transaction, actor, action: str, changes: dict, ip_address=None) -> None:
    """Record that a sale's money went back to its buyer (a Stripe refund, or
    the bank's chargeback): the transaction refunded, the ticket void, a
    payout that never left Encore cancelled; each audited. Runs inside the
    caller's transaction, with the sale locked."""
    now = timezone.now()
    from_status = txn.status
    Transaction.objects.filter(pk=txn.pk).update(
        status=Transaction.Status.REFUNDED,
        payment_status=Transaction.PaymentStatus.REFUNDED,
        updated_at=now,
    )
    metrics.payment_counted("refunded")
    ticket = txn.listing.ticket
    # The refunded ticket admits no one: its barcode may be uploaded again.
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.VOID, updated_at=now)
    payout = Payout.objects.select_for_update().filter(transaction=txn).first()
    if payout is not None and payout.status in PAYOUT_NOT_SENT:
        Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.CANCELLED, updated_at=now)
        audit_status_change(
            actor=actor,
            action=AuditAction.PAYOUT_CANCELLED,
            entity=payout,
            old=payout.status,
            new=Payout.Status.CANCELLED,
            ip_address=ip_address,
        )
    audit_status_change(
        actor=actor,
        action=action,
        entity=txn,
        old=from_status,
        new=Transaction.Status.REFUNDED,
        ip_address=ip_address,
        **changes,
    )
    audit_status_change(
        actor=actor,
        action=AuditAction.TICKET_VOIDED,
        entity=ticket,
        old=ticket.status,
        new=Ticket.Status.VOID,
        ip_address=ip_address,
    )


def _refund(*, staff, txn: Transaction, note: str, ip_address) -> str:
    """Refund a paid, completed or disputed transaction in full: a transfer
    already made to the seller is reversed first, then the buyer refunded.
    Runs inside the caller's transaction, which holds the transaction row
    locked; returns the refund id."""
    payout = Payout.objects.select_for_update().filter(transaction=txn).first()
    if payout is not None:
        # Normally reversed already in a step of its own (payout_take_back_for);
        # here if the transfer went out in between.
        payout_take_back(payout=payout, actor=staff, reason="refund", ip_address=ip_address)
    refund_id = gateway.refund_create(transaction_id=txn.pk, payment_intent_id=txn.payment_id)
    sale_refunded(
        txn=txn,
        actor=staff,
        action=AuditAction.TRANSACTION_REFUNDED,
        changes={"refund_id": refund_id, "note": note},
        ip_address=ip_address,
    )
    return refund_id


def sale_refund(*, actor, txn: Transaction, note: str, ip_address=None) -> str:
    """The full refund staff give when settling (a transfer made is taken back,
    Stripe refunds with the transaction's idempotency key, the ticket is void,
    the payout cancelled), for the other services of this package: an event
    cancelled or moved. Runs inside the caller's transaction, with the
    transaction row locked; returns the refund id."""
    return _refund(staff=actor, txn=txn, note=note, ip_address=ip_address)


def no_open_chargeback(transaction_id: int) -> None:
    """ValidationFailed (CHARGEBACK_OPEN) while the buyer's bank holds the money."""
    _no_open_chargeback(transaction_id)


def _locked_open_dispute(dispute_id: int) -> Dispute:
    # Lock the dispute and its transaction while Stripe refunds: a second
    # member of staff clicking at the same moment waits, then finds it settled.
    dispute = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("transaction__listing__ticket__event", "transaction__buyer")
        .select_related("transaction__seller")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        raise NotFound(_("Dispute not found."))
    Transaction.objects.select_for_update().filter(pk=dispute.transaction_id).values("pk").get()
    if dispute.kind == Dispute.Kind.CHARGEBACK:
        raise ValidationFailed(
            _(
                "The buyer's bank settles a chargeback: Encore applies its decision when Stripe "
                "reports it."
            ),
            details={"reason": "SETTLED_BY_THE_BANK"},
        )
    _no_open_chargeback(dispute.transaction_id)
    if dispute.status != Dispute.Status.OPEN:
        raise ValidationFailed(
            _("This dispute is already settled."), details={"reason": "DISPUTE_NOT_OPEN"}
        )
    return dispute


def _no_open_chargeback(transaction_id: int) -> None:
    # While the bank holds the money, Stripe refuses refunds (charge_disputed)
    # and releasing would pay the seller money the bank may take back.
    if Dispute.objects.filter(
        transaction_id=transaction_id, kind=Dispute.Kind.CHARGEBACK, status=Dispute.Status.OPEN
    ).exists():
        raise ValidationFailed(
            _("The buyer's bank disputes this payment: wait for its decision."),
            details={"reason": "CHARGEBACK_OPEN"},
        )


def _dispute_settle(*, staff, dispute: Dispute, status: str, note: str, ip_address) -> None:
    Dispute.objects.filter(pk=dispute.pk).update(
        status=status,
        resolution_note=note,
        resolved_by=staff,
        resolved_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit_log_record(
        actor=staff,
        action=AuditAction(f"dispute.{status}"),
        entity=dispute,
        changes={"status": {"from": Dispute.Status.OPEN, "to": status}, "note": note},
        ip_address=ip_address,
    )


def _dispute_resolve(*, staff, dispute_id: int, status: str, settle, note: str, ip_address):
    """Settle an open dispute: `settle(dispute)` moves the money, then the dispute
    is closed and both parties are told, all in one transaction."""
    require_staff(staff)
    with transaction.atomic():
        dispute = _locked_open_dispute(dispute_id)
        settle(dispute)
        _dispute_settle(
            staff=staff, dispute=dispute, status=status, note=note, ip_address=ip_address
        )
        outcome = "refund" if status == Dispute.Status.RESOLVED_REFUND else "release"
        _notify_parties(
            dispute.transaction, dispute, Notification.Type.DISPUTE_RESOLVED, outcome=outcome
        )
    dispute.refresh_from_db()
    return dispute


def dispute_resolve_refund(*, staff, dispute_id: int, note: str = "", ip_address=None) -> Dispute:
    """Settle a dispute for the buyer: full Stripe refund, ticket void, payout
    cancelled, transaction refunded. Both parties are notified.

    Raises PermissionDenied (not staff), NotFound, ValidationFailed (already
    settled), PaymentFailed or ServiceUnavailable (Stripe refused or is down:
    nothing changes).
    """
    require_staff(staff)
    dispute = Dispute.objects.filter(pk=dispute_id, status=Dispute.Status.OPEN).first()
    if dispute is not None and dispute.kind == Dispute.Kind.BUYER:
        payout_take_back_for(
            transaction_id=dispute.transaction_id,
            actor=staff,
            reason="refund",
            ip_address=ip_address,
        )
    return _dispute_resolve(
        staff=staff,
        dispute_id=dispute_id,
        status=Dispute.Status.RESOLVED_REFUND,
        settle=lambda dispute: _refund(
            staff=staff, txn=dispute.transaction, note=note, ip_address=ip_address
        ),
        note=note,
        ip_address=ip_address,
    )


def dispute_resolve_release(*, staff, dispute_id: int, note: str = "", ip_address=None) -> Dispute:
    """Settle a dispute for the seller: the sale completes and the payout is
    scheduled. Both parties are notified.

    Raises PermissionDenied (not staff), NotFound or ValidationFailed (already settled).
    """
    return _dispute_resolve(
        staff=staff,
        dispute_id=dispute_id,
        status=Dispute.Status.RESOLVED_RELEASE,
        settle=lambda dispute: escrow_release(
            transaction_id=dispute.transaction_id,
            from_status=Transaction.Status.DISPUTED,
            actor=staff,
            action=AuditAction.TRANSACTION_RELEASED_BY_STAFF,
            ip_address=ip_address,
        ),
        note=note,
        ip_address=ip_address,
    )


REFUNDABLE_STATUSES = (Transaction.Status.PAID, Transaction.Status.COMPLETED)


def transaction_refund(*, staff, transaction_id: int, note: str = "", ip_address=None):
    """Staff refund a paid or completed transaction without a dispute (e.g. the
    event was cancelled, a ticket refused at the door after the buyer
    confirmed). A transfer already made to the seller is reversed first, in
    a step of its own, then the buyer refunded; both parties are notified.

    Raises PermissionDenied, NotFound, ValidationFailed (not paid or
    completed, or a chargeback open), PaymentFailed or ServiceUnavailable
    (nothing more changes; trying again reverses and refunds once).
    """
    require_staff(staff)
    current = Transaction.objects.filter(pk=transaction_id).values_list("status", flat=True).first()
    if current in REFUNDABLE_STATUSES and not Dispute.objects.filter(
        transaction_id=transaction_id, kind=Dispute.Kind.CHARGEBACK, status=Dispute.Status.OPEN
    ):
        payout_take_back_for(
            transaction_id=transaction_id, actor=staff, reason="refund", ip_address=ip_address
        )
    with transaction.atomic():
        txn = (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("listing__ticket__event", "buyer", "seller")
            .filter(pk=transaction_id)
            .first()
        )
        if txn is None:
            raise NotFound(_("Transaction not found."))
        if txn.status not in REFUNDABLE_STATUSES:
            raise ValidationFailed(
                _(
                    "Only a paid or completed transaction can be refunded here; settle disputes "
                    "from the dispute."
                ),
                details={"reason": "NOT_REFUNDABLE"},
            )
        _no_open_chargeback(txn.pk)
        _refund(staff=staff, txn=txn, note=note, ip_address=ip_address)
        parties_notify(txn, Notification.Type.REFUND)
    txn.refresh_from_db()
    return txn
