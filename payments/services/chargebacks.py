"""Chargebacks: the buyer's bank reverses a card payment (ARCHITECTURE.md, rule 14).

`charge.dispute.created` freezes the seller's payout if the money is still
with Encore, or takes the transfer back if it already went out; the sale is
flagged for staff (a dispute of kind "chargeback" in the admin's queue) and
both parties are told. `charge.dispute.closed` applies the bank's decision:
lost, the ticket is void and the sale refunded in Encore's books (the bank
already returned the money); won, the escrow resumes where it stood.

Each webhook may arrive twice or out of order: the dispute row is unique by
Stripe's dispute id, and every change is conditional on the state it leaves.
"""

import logging

from django.db import transaction
from django.utils import timezone

from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.money import money_str
from messaging.models import Notification
from payments import gateway
from payments.models import Dispute, Payout, Transaction

from .disputes import sale_refunded
from .payment import parties_notify
from .payouts import payout_release, payout_take_back

logger = logging.getLogger(__name__)

# The sale states a chargeback puts on hold (their escrow resumes if it is won).
HOLDABLE = (Transaction.Status.PAID, Transaction.Status.COMPLETED, Transaction.Status.DISPUTED)
FREEZABLE = (Payout.Status.HELD, Payout.Status.SCHEDULED, Payout.Status.FAILED)
WON = ("won", "warning_closed")


def _transaction_of(dispute: dict) -> Transaction | None:
    charge_id = gateway.object_id(dispute.get("charge"))
    intent_id = gateway.object_id(dispute.get("payment_intent"))
    transactions = Transaction.objects.select_for_update(of=("self",)).select_related(
        "listing__ticket__event", "buyer", "seller"
    )
    txn = transactions.filter(charge_id=charge_id).first() if charge_id else None
    if txn is None and intent_id:
        txn = transactions.filter(payment_gateway="stripe", payment_id=intent_id).first()
    return txn


def _payout_hold(txn: Transaction) -> bool:
    """Freeze the payout, or take back its transfer; True when taken back."""
    payout = Payout.objects.select_for_update().filter(transaction=txn).first()
    if payout is None:
        return False
    if payout.status in FREEZABLE:
        moved = Payout.objects.filter(pk=payout.pk, status=payout.status).update(
            status=Payout.Status.FROZEN, next_attempt_at=None, updated_at=timezone.now()
        )
        if moved:
            audit_status_change(
                actor=None,
                action=AuditAction.PAYOUT_FROZEN,
                entity=payout,
                old=payout.status,
                new=Payout.Status.FROZEN,
            )
        return False
    # A Stripe failure raises here: the webhook answers 500, nothing is
    # recorded, and Stripe delivers the event again later.
    return payout_take_back(payout=payout, reason="chargeback")


def _chargeback_record(dispute: dict) -> tuple[Dispute | None, bool]:
    """The chargeback's row (created once) and whether this call created it.
    Runs inside the caller's transaction, with the sale locked."""
    txn = _transaction_of(dispute)
    if txn is None:
        logger.warning("Stripe dispute %s for a payment Encore does not know.", dispute["id"])
        return None, False
    existing = Dispute.objects.filter(stripe_dispute_id=dispute["id"]).first()
    if existing is not None:
        return existing, False
    amount = gateway.from_minor_units(int(dispute.get("amount") or 0), txn.currency)
    reason = str(dispute.get("reason") or "")[:64]
    chargeback = Dispute.objects.create(
        transaction=txn,
        kind=Dispute.Kind.CHARGEBACK,
        reason=Dispute.Reason.BANK_REVERSAL,
        stripe_dispute_id=dispute["id"],
        stripe_reason=reason,
        status_before=txn.status,
        description=(
            f"The buyer's bank reversed the payment of {money_str(amount)} {txn.currency} "
            f"(Stripe dispute {dispute['id']}, reason: {reason or 'not given'})."
        ),
    )
    audit_log_record(
        actor=None,
        action=AuditAction.DISPUTE_CHARGEBACK_OPENED,
        entity=chargeback,
        changes={"stripe_dispute_id": dispute["id"], "reason": reason},
    )
    if txn.status in (Transaction.Status.PAID, Transaction.Status.COMPLETED):
        Transaction.objects.filter(pk=txn.pk, status=txn.status).update(
            status=Transaction.Status.DISPUTED, updated_at=timezone.now()
        )
        audit_status_change(
            actor=None,
            action=AuditAction.TRANSACTION_CHARGED_BACK,
            entity=txn,
            old=txn.status,
            new=Transaction.Status.DISPUTED,
            stripe_dispute_id=dispute["id"],
        )
    reversed_ = txn.status in HOLDABLE and _payout_hold(txn)
    parties_notify(txn, Notification.Type.CHARGEBACK_OPENED, reversed=reversed_)
    return chargeback, True


def chargeback_open(*, dispute: dict) -> Dispute | None:
    """Apply `charge.dispute.created`: flag the sale, hold the seller's money,
    tell both parties. Returns the chargeback's dispute row (None for a
    payment Encore does not know)."""
    with transaction.atomic():
        chargeback, _ = _chargeback_record(dispute)
    return chargeback


def _lost(chargeback: Dispute, txn: Transaction, now) -> None:
    """The bank gave the money back to the buyer: the ticket admits no one, the
    sale is refunded in Encore's books, the payout never goes."""
    if txn.status in HOLDABLE:
        sale_refunded(
            txn=txn,
            actor=None,
            action=AuditAction.TRANSACTION_REFUNDED_BY_BANK,
            changes={"stripe_dispute_id": chargeback.stripe_dispute_id},
        )
    # A buyer's own report of the same sale is settled by the bank's decision.
    for report in Dispute.objects.filter(
        transaction=txn, kind=Dispute.Kind.BUYER, status=Dispute.Status.OPEN
    ):
        _settle(report, Dispute.Status.RESOLVED_REFUND, "Settled by the buyer's bank.", now)


def _won(chargeback: Dispute, txn: Transaction, now) -> None:
    """The payment stands: the sale goes back to where the chargeback found it
    and the seller's payout with it."""
    buyer_report_open = Dispute.objects.filter(
        transaction=txn, kind=Dispute.Kind.BUYER, status=Dispute.Status.OPEN
    ).exists()
    resume = chargeback.status_before
    if (
        txn.status == Transaction.Status.DISPUTED
        and not buyer_report_open
        and resume
        in (
            Transaction.Status.PAID,
            Transaction.Status.COMPLETED,
        )
    ):
        Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.DISPUTED).update(
            status=resume, updated_at=now
        )
        audit_status_change(
            actor=None,
            action=AuditAction.TRANSACTION_CHARGEBACK_WON,
            entity=txn,
            old=Transaction.Status.DISPUTED,
            new=resume,
            stripe_dispute_id=chargeback.stripe_dispute_id,
        )
        txn.status = resume
    payout = (
        Payout.objects.select_for_update(of=("self",))
        .select_related("seller", "transaction__listing__ticket__event")
        .filter(transaction=txn)
        .first()
    )
    if payout is None or payout.status not in (Payout.Status.FROZEN, Payout.Status.REVERSED):
        return
    if txn.status != Transaction.Status.COMPLETED:
        # Still in escrow: held until the buyer confirms (or the auto-confirmation).
        if payout.status == Payout.Status.FROZEN:
            Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.HELD, updated_at=now)
            audit_status_change(
                actor=None,
                action=AuditAction.PAYOUT_UNFROZEN,
                entity=payout,
                old="frozen",
                new="held",
            )
        return
    if payout.status == Payout.Status.REVERSED:
        # The money was taken back: a new transfer, with keys of its own.
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.HELD,
            transfer_round=payout.transfer_round + 1,
            attempts=0,
            transfer_id="",
            updated_at=now,
        )
    else:
        Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.HELD, updated_at=now)
    audit_status_change(
        actor=None, action=AuditAction.PAYOUT_UNFROZEN, entity=payout, old=payout.status, new="held"
    )
    payout.refresh_from_db()
    payout_release(payout=payout)


def _settle(dispute: Dispute, status: str, note: str, now) -> None:
    Dispute.objects.filter(pk=dispute.pk, status=Dispute.Status.OPEN).update(
        status=status, resolution_note=note, resolved_at=now, updated_at=now
    )
    audit_log_record(
        actor=None,
        action=AuditAction(f"dispute.{status}"),
        entity=dispute,
        changes={"status": {"from": Dispute.Status.OPEN, "to": status}, "note": note},
    )


def chargeback_close(*, dispute: dict) -> Dispute | None:
    """Apply `charge.dispute.closed`: the bank's decision, once. A close seen
    before its creation opens the chargeback first."""
    with transaction.atomic():
        chargeback, _ = _chargeback_record(dispute)
        if chargeback is None or chargeback.status != Dispute.Status.OPEN:
            return chargeback
        txn = _transaction_of(dispute)
        now = timezone.now()
        outcome = "won" if dispute.get("status") in WON else "lost"
        if outcome == "won":
            _won(chargeback, txn, now)
            status, note = Dispute.Status.RESOLVED_RELEASE, "The bank decided the payment stands."
        else:
            _lost(chargeback, txn, now)
            status, note = (
                Dispute.Status.RESOLVED_REFUND,
                "The bank returned the money to the buyer.",
            )
        _settle(chargeback, status, note, now)
        parties_notify(txn, Notification.Type.CHARGEBACK_CLOSED, outcome=outcome)
    chargeback.refresh_from_db()
    return chargeback
