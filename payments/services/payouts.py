"""Paying sellers: each released payout is transferred to the seller's own
Stripe account (ARCHITECTURE.md, rule 6 and "Payments").

A payout waits (held) while its seller has no account able to receive, and
goes as soon as Stripe says the account can. A transfer Stripe refuses is
marked failed with Stripe's reason and tried again with backoff; staff can
retry it from the admin. Every step is a conditional change or runs under the
payout's row lock, so the on-commit task, the periodic job and staff acting
at once transfer a payout once.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.errors import NotFound, PaymentFailed, ServiceUnavailable, ValidationFailed
from marketplace.core.money import money_str
from marketplace.core.queue import enqueue_on_commit
from messaging.models import Notification
from messaging.services import notification_create
from payments import gateway
from payments.models import Payout, PayoutAccount, Transaction

logger = logging.getLogger(__name__)


def seller_can_receive(*, seller_id: int) -> bool:
    """Whether Stripe says the seller's payout account can receive money."""
    account = PayoutAccount.objects.filter(user_id=seller_id).first()
    return account is not None and account.can_receive


def _payout_payload(payout: Payout, **extra) -> dict:
    return {
        "transaction_id": payout.transaction_id,
        "payout_id": payout.pk,
        "amount": money_str(payout.amount),
        "currency": payout.currency,
        **extra,
    }


def payout_schedule(*, payout: Payout, actor=None, ip_address=None) -> bool:
    """Move a payout from held (or failed) to scheduled and send it once the
    caller's transaction commits; the seller is told it is on its way.
    Runs inside the caller's transaction. Returns False if it was neither."""
    now = timezone.now()
    old = payout.status
    moved = Payout.objects.filter(
        pk=payout.pk, status__in=(Payout.Status.HELD, Payout.Status.FAILED)
    ).update(status=Payout.Status.SCHEDULED, scheduled_at=now, next_attempt_at=None, updated_at=now)
    if moved != 1:
        return False
    audit_log_record(
        actor=actor,
        action=AuditAction.PAYOUT_SCHEDULED,
        entity=payout,
        changes={
            "status": {"from": old, "to": Payout.Status.SCHEDULED},
            "amount": money_str(payout.amount),
        },
        ip_address=ip_address,
    )
    if old == Payout.Status.HELD:
        notification_create(
            user=payout.seller, type=Notification.Type.PAYOUT, payload=_payout_payload(payout)
        )
    from payments.tasks import payout_send as payout_send_task

    enqueue_on_commit(
        payout_send_task, payout.pk, fallback="the payouts job (payouts_send_scheduled) sends it"
    )
    return True


def payout_await_account(*, payout: Payout, actor=None, ip_address=None) -> None:
    """The escrow released a payout whose seller cannot receive money yet: it
    stays held, and the seller is asked for payout details. Runs inside the
    caller's transaction."""
    now = timezone.now()
    Payout.objects.filter(pk=payout.pk).update(reminded_at=now, updated_at=now)
    audit_log_record(
        actor=actor,
        action=AuditAction.PAYOUT_AWAITING_ACCOUNT,
        entity=payout,
        changes={"status": payout.status, "amount": money_str(payout.amount)},
        ip_address=ip_address,
    )
    event = payout.transaction.listing.ticket.event
    notification_create(
        user=payout.seller,
        type=Notification.Type.PAYOUT_ACCOUNT_NEEDED,
        payload=_payout_payload(payout, event_name=event.name),
    )


def payout_release(*, payout: Payout, actor=None, ip_address=None) -> None:
    """The escrow of `payout`'s sale is released: schedule it when the seller
    can receive money, else keep it held and ask for payout details."""
    if seller_can_receive(seller_id=payout.seller_id):
        payout_schedule(payout=payout, actor=actor, ip_address=ip_address)
    else:
        payout_await_account(payout=payout, actor=actor, ip_address=ip_address)


def payouts_release_waiting(*, seller_id: int) -> int:
    """Schedule the seller's payouts that waited for an account able to
    receive (held, their sale completed). Runs inside the caller's transaction."""
    waiting = Payout.objects.select_related("seller").filter(
        seller_id=seller_id,
        status=Payout.Status.HELD,
        transaction__status=Transaction.Status.COMPLETED,
    )
    return sum(payout_schedule(payout=payout) for payout in waiting)


def _retry_at(attempts: int, now: datetime.datetime) -> datetime.datetime | None:
    if attempts >= settings.PAYOUT_MAX_ATTEMPTS:
        return None
    return now + datetime.timedelta(minutes=settings.PAYOUT_RETRY_MINUTES * 2 ** (attempts - 1))


def _charge_of(txn: Transaction) -> str:
    """The charge the transfer is made from (recorded when the payment
    succeeded; asked of Stripe for a payment recorded without it)."""
    if txn.charge_id:
        return txn.charge_id
    charge_id = gateway.payment_intent_retrieve(payment_intent_id=txn.payment_id).charge_id
    Transaction.objects.filter(pk=txn.pk, charge_id="").update(charge_id=charge_id)
    return charge_id


def _payout_failed(payout: Payout, exc: PaymentFailed, now) -> None:
    attempts = payout.attempts + 1
    next_attempt_at = _retry_at(attempts, now)
    code = str(exc.details.get("reason") or "transfer_refused")[:64]
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.FAILED,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        failure_code=code,
        failure_message=exc.message[:500],
        updated_at=now,
    )
    audit_status_change(
        actor=None,
        action=AuditAction.PAYOUT_FAILED,
        entity=payout,
        old=Payout.Status.SCHEDULED,
        new=Payout.Status.FAILED,
        failure_code=code,
        failure_message=exc.message[:500],
        attempts=attempts,
        next_attempt_at=next_attempt_at.isoformat() if next_attempt_at else None,
    )
    if attempts == 1 or next_attempt_at is None:
        # Told at the first refusal and when the automatic retries end, not at each.
        notification_create(
            user=payout.seller,
            type=Notification.Type.PAYOUT_FAILED,
            payload=_payout_payload(
                payout, failure_message=exc.message[:500], next_attempt=bool(next_attempt_at)
            ),
        )


def payout_send(*, payout_id: int) -> bool:
    """Transfer a scheduled payout to its seller's Stripe account.

    Returns True when this call paid it. Stripe unreachable: it stays
    scheduled for the periodic job. Refused: failed, with Stripe's reason,
    retried later. A seller whose account can no longer receive: back to held
    until it can.
    """
    with transaction.atomic():
        # Lock the payout while Stripe transfers it: a second sender (the
        # periodic job and the on-commit task at once) waits here, then finds
        # it paid. The idempotency key covers a retry after a lost answer.
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("transaction", "seller")
            .filter(pk=payout_id, status=Payout.Status.SCHEDULED)
            .first()
        )
        if payout is None:
            return False
        account = PayoutAccount.objects.filter(user_id=payout.seller_id).first()
        now = timezone.now()
        if account is None or not account.can_receive:
            Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.HELD, updated_at=now)
            audit_status_change(
                actor=None,
                action=AuditAction.PAYOUT_AWAITING_ACCOUNT,
                entity=payout,
                old=Payout.Status.SCHEDULED,
                new=Payout.Status.HELD,
            )
            return False
        txn = payout.transaction
        try:
            transfer_id = gateway.transfer_create(
                payout_id=payout.pk,
                round_=payout.transfer_round,
                attempt=payout.attempts,
                transaction_id=txn.pk,
                amount=payout.amount,
                currency=payout.currency,
                destination=account.stripe_account_id,
                # The first transfer is made from the buyer's charge; one after a
                # chargeback was won comes from Encore's balance, where the
                # reversal and the bank's reinstatement put the money back.
                source_transaction=_charge_of(txn) if payout.transfer_round == 1 else "",
            )
        except ServiceUnavailable:
            logger.warning("Payout %s kept scheduled: Stripe unreachable.", payout.pk)
            return False
        except PaymentFailed as exc:
            _payout_failed(payout, exc, now)
            return False
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.PAID,
            transfer_id=transfer_id,
            paid_at=now,
            next_attempt_at=None,
            failure_code="",
            failure_message="",
            updated_at=now,
        )
        audit_log_record(
            actor=None,
            action=AuditAction.PAYOUT_PAID,
            entity=payout,
            changes={
                "status": {"from": Payout.Status.SCHEDULED, "to": Payout.Status.PAID},
                "transfer_id": transfer_id,
                "destination": account.stripe_account_id,
            },
        )
    return True


def payouts_send_due(*, limit: int = 500) -> int:
    """Periodic: send the scheduled payouts, retry the failed ones whose time
    has come, and schedule the held ones whose seller can now receive (the
    account's webhook normally does it at once). Returns how many were paid."""
    now = timezone.now()
    due_retries = Payout.objects.select_related("seller").filter(
        status=Payout.Status.FAILED, next_attempt_at__lte=now
    )[:limit]
    waiting = Payout.objects.select_related("seller").filter(
        status=Payout.Status.HELD,
        transaction__status=Transaction.Status.COMPLETED,
        seller__payout_account__transfers_active=True,
        seller__payout_account__payouts_enabled=True,
    )[:limit]
    with transaction.atomic():
        for payout in [*due_retries, *waiting]:
            payout_schedule(payout=payout)
    due = Payout.objects.filter(status=Payout.Status.SCHEDULED).values_list("pk", flat=True)
    return sum(payout_send(payout_id=pk) for pk in list(due[:limit]))


def payout_retry(*, staff, payout_id: int, ip_address=None) -> Payout:
    """Staff send a failed payout again now (after the seller fixed their
    account, or after the automatic retries ended). Raises PermissionDenied,
    NotFound or ValidationFailed (not failed)."""
    from .disputes import require_staff

    require_staff(staff)
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("seller")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None:
            raise NotFound(_("Payout not found."))
        if payout.status != Payout.Status.FAILED:
            raise ValidationFailed(
                _("Only a failed payout can be sent again."), details={"reason": "NOT_FAILED"}
            )
        payout_schedule(payout=payout, actor=staff, ip_address=ip_address)
    payout.refresh_from_db()
    return payout


def payout_account_reminders(*, limit: int = 500) -> int:
    """Periodic: remind each seller whose money waits for payout details, at
    most every PAYOUT_ACCOUNT_REMINDER_DAYS. Returns how many were reminded."""
    now = timezone.now()
    quiet_since = now - datetime.timedelta(days=settings.PAYOUT_ACCOUNT_REMINDER_DAYS)
    waiting = (
        Payout.objects.select_related("seller", "transaction__listing__ticket__event")
        .filter(status=Payout.Status.HELD, transaction__status=Transaction.Status.COMPLETED)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=quiet_since))
        .exclude(
            seller__payout_account__transfers_active=True,
            seller__payout_account__payouts_enabled=True,
        )
        .order_by("seller_id", "created_at")[:limit]
    )
    reminded = set()
    with transaction.atomic():
        for payout in waiting:
            if payout.seller_id in reminded:
                Payout.objects.filter(pk=payout.pk).update(reminded_at=now)
                continue
            reminded.add(payout.seller_id)
            Payout.objects.filter(pk=payout.pk).update(reminded_at=now)
            notification_create(
                user=payout.seller,
                type=Notification.Type.PAYOUT_ACCOUNT_NEEDED,
                payload=_payout_payload(
                    payout, event_name=payout.transaction.listing.ticket.event.name, reminder=True
                ),
            )
    return len(reminded)


def payout_take_back(*, payout: Payout, actor=None, reason: str, ip_address=None) -> bool:
    """Reverse the transfer of a paid payout in full (a refund or a chargeback
    after the money went out): the seller's account gives it back to Encore's
    balance. Runs inside the caller's transaction, with `payout` locked.
    Returns False when there was no transfer to take back.

    Raises PaymentFailed or ServiceUnavailable (nothing changes here; Stripe's
    idempotency key makes the retry reverse once).
    """
    if payout.status != Payout.Status.PAID or not payout.transfer_id:
        return False
    reversal_id = gateway.transfer_reversal_create(
        payout_id=payout.pk, round_=payout.transfer_round, transfer_id=payout.transfer_id
    )
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.REVERSED, reversal_id=reversal_id, updated_at=timezone.now()
    )
    audit_status_change(
        actor=actor,
        action=AuditAction.PAYOUT_REVERSED,
        entity=payout,
        old=Payout.Status.PAID,
        new=Payout.Status.REVERSED,
        transfer_id=payout.transfer_id,
        reversal_id=reversal_id,
        reason=reason,
        ip_address=ip_address,
    )
    payout.status, payout.reversal_id = Payout.Status.REVERSED, reversal_id
    return True


def payout_take_back_for(*, transaction_id: int, actor=None, reason: str, ip_address=None) -> bool:
    """payout_take_back for a transaction's payout, in a database transaction
    of its own: the reversal is recorded even if what follows (a refund) fails."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(transaction_id=transaction_id).first()
        if payout is None:
            return False
        return payout_take_back(payout=payout, actor=actor, reason=reason, ip_address=ip_address)
