"""Reads of transactions and payouts that the pages and the API share (ARCHITECTURE.md, rule 10)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from marketplace.core.errors import NotFound, PermissionDenied

from .models import Payout, PayoutAccount, Transaction

_RELATED = ("listing__ticket__event", "buyer", "seller")


def transaction_list_for_user(*, user, role: str = "", status: str = "") -> QuerySet[Transaction]:
    """The user's transactions, newest first: as buyer, as seller, or both (role
    ""); in one status, or all (status "")."""
    parties = {"buyer": Q(buyer=user), "seller": Q(seller=user)}
    transactions = Transaction.objects.filter(parties.get(role, Q(buyer=user) | Q(seller=user)))
    if status:
        transactions = transactions.filter(status=status)
    return transactions.select_related(*_RELATED).order_by("-created_at", "-id")


def transaction_get_for_party(*, user, transaction_id: int) -> Transaction:
    """A transaction seen by its buyer, its seller or staff; NotFound for anyone else,
    so that nobody learns that someone else's transaction exists."""
    queryset = Transaction.objects.select_related(*_RELATED)
    if not user.is_staff:
        queryset = queryset.filter(Q(buyer=user) | Q(seller=user))
    transaction = queryset.filter(pk=transaction_id).first()
    if transaction is None:
        raise NotFound(_("Transaction not found."))
    return transaction


def transaction_get_for_buyer(*, user, transaction_id: int) -> Transaction:
    """A transaction its buyer acts on (pays, confirms, disputes).

    Raises PermissionDenied for its seller (who may see it, not act as the
    buyer) and NotFound for anyone else.
    """
    transaction = (
        Transaction.objects.select_related(*_RELATED)
        .filter(Q(buyer=user) | Q(seller=user), pk=transaction_id)
        .first()
    )
    if transaction is None:
        raise NotFound(_("Transaction not found."))
    if transaction.buyer_id != user.pk:
        raise PermissionDenied(
            _("Only the buyer can do this."), details={"reason": "NOT_THE_BUYER"}
        )
    return transaction


# --- what a user may do on a transaction (ARCHITECTURE.md, "Layout") ---------------

# A paid purchase, settled or not: the ticket is the buyer's to download.
TICKET_HELD_STATUSES = (
    Transaction.Status.PAID,
    Transaction.Status.COMPLETED,
    Transaction.Status.DISPUTED,
)


@dataclass(frozen=True)
class TransactionAction:
    """Whether the viewer may do one thing now and, when the clock ends it
    (the reservation, the dispute window), until when; None otherwise."""

    allowed: bool
    until: datetime.datetime | None = None


NOT_ALLOWED = TransactionAction(False)

# "I need more time" (WCAG 2.2 SC 2.2.1, Timing Adjustable): once per reservation,
# in its last minutes, the buyer may push its end back (payments.services.reservations).
RESERVATION_EXTENSION = datetime.timedelta(minutes=15)
RESERVATION_EXTEND_WINDOW = datetime.timedelta(minutes=3)


def reservation_extend_opens_at(txn: Transaction) -> datetime.datetime | None:
    """The first moment the reservation may be extended; None once it was, or
    when it does not run out (no reserved_until)."""
    if txn.reservation_extended_at is not None or txn.reserved_until is None:
        return None
    return txn.reserved_until - RESERVATION_EXTEND_WINDOW


def postponement_refund_until(txn: Transaction) -> datetime.datetime | None:
    """The last moment the buyer may choose a full refund instead of the new
    date of a moved event: POSTPONEMENT_REFUND_DAYS after the move, and never
    after the (new) start. None when the event did not move after the
    purchase was paid (a buyer who paid after the move chose the new date)."""
    event = txn.listing.ticket.event
    if event.moved_at is None or txn.paid_at is None or txn.paid_at >= event.moved_at:
        return None
    return min(
        event.moved_at + datetime.timedelta(days=settings.POSTPONEMENT_REFUND_DAYS),
        event.starts_at,
    )


@dataclass(frozen=True)
class TransactionActions:
    pay: TransactionAction  # the buyer pays the reservation
    cancel: TransactionAction  # the buyer gives the reservation up
    extend: TransactionAction  # the buyer asks for more time to pay, once, near the end
    confirm: TransactionAction  # the buyer confirms receipt: the seller is paid
    dispute: TransactionAction  # the buyer reports a problem
    message: TransactionAction  # the buyer or the seller writes in the thread
    download_ticket: TransactionAction  # the buyer downloads the ticket's file
    # the buyer of a paid purchase whose event moved chooses a full refund instead
    postponement_refund: TransactionAction


@dataclass(frozen=True)
class TransactionDeadlines:
    """The moments that still change the transaction; None once they no longer can."""

    reservation_ends_at: datetime.datetime | None  # awaiting payment: the ticket goes back on sale
    dispute_window_closes_at: datetime.datetime | None  # awaiting payment or paid
    auto_confirm_at: datetime.datetime | None  # paid: the sale completes by itself


@dataclass(frozen=True)
class TransactionView:
    role: str  # buyer, seller or staff
    actions: TransactionActions
    deadlines: TransactionDeadlines


def transaction_view_for(*, user, transaction: Transaction, now=None) -> TransactionView:
    """What `user` may do on `transaction` now, and until when: the one answer
    the transaction page, the checkout and the API show. The services still
    decide (a click after the answer was shown may be refused); this says
    what they accept at `now`. No query on a transaction loaded as
    transaction_get_for_party loads it.

    Raises NotFound for anyone but its buyer, its seller and staff.
    """
    # Imported here: the services import this module (transaction_get_for_buyer).
    from payments.services.disputes import dispute_window_closes_at
    from payments.services.escrow import auto_confirm_due_at

    txn = transaction
    if user.pk == txn.buyer_id:
        role = "buyer"
    elif user.pk == txn.seller_id:
        role = "seller"
    elif user.is_staff:
        role = "staff"
    else:
        raise NotFound(_("Transaction not found."))
    now = now or timezone.now()
    pending = txn.status == Transaction.Status.PENDING_PAYMENT
    paid = txn.status == Transaction.Status.PAID
    deadlines = TransactionDeadlines(
        reservation_ends_at=txn.reserved_until if pending else None,
        dispute_window_closes_at=dispute_window_closes_at(txn) if pending or paid else None,
        auto_confirm_at=auto_confirm_due_at(txn) if paid else None,
    )
    buyer = role == "buyer"
    # The reservation ends at reserved_until exactly (transaction_pay refuses from then on).
    reserved = pending and (txn.reserved_until is None or now < txn.reserved_until)
    # Open up to and including the closing moment, as dispute_open decides.
    disputable = paid and now <= deadlines.dispute_window_closes_at
    held = txn.status in TICKET_HELD_STATUSES
    reservation = TransactionAction(True, txn.reserved_until) if buyer and reserved else NOT_ALLOWED
    # The same conditions as reservation_extend's conditional UPDATE.
    extend_opens_at = reservation_extend_opens_at(txn)
    extendable = buyer and reserved and extend_opens_at is not None and extend_opens_at < now
    return TransactionView(
        role=role,
        actions=TransactionActions(
            pay=reservation,
            cancel=reservation,
            extend=TransactionAction(True, txn.reserved_until) if extendable else NOT_ALLOWED,
            confirm=TransactionAction(buyer and paid),
            dispute=(
                TransactionAction(True, deadlines.dispute_window_closes_at)
                if buyer and disputable
                else NOT_ALLOWED
            ),
            # Staff read threads; they do not write in them (messaging.services.message_send).
            message=TransactionAction(
                role != "staff" and txn.status != Transaction.Status.CANCELLED
            ),
            download_ticket=TransactionAction(
                buyer and held and txn.listing.ticket.owner_id == user.pk
            ),
            postponement_refund=_postponement_refund_action(txn, buyer=buyer, now=now),
        ),
        deadlines=deadlines,
    )


def _postponement_refund_action(txn: Transaction, *, buyer: bool, now) -> TransactionAction:
    # The same conditions as transaction_postponement_refund: a paid purchase
    # (money still held), an event on sale that moved after the payment, before
    # the window closes.
    if not buyer or txn.status != Transaction.Status.PAID:
        return NOT_ALLOWED
    if txn.listing.ticket.event.status != Event.Status.PUBLISHED:
        return NOT_ALLOWED
    until = postponement_refund_until(txn)
    if until is None or now >= until:
        return NOT_ALLOWED
    return TransactionAction(True, until)


def payout_list_for_seller(*, seller) -> QuerySet[Payout]:
    """The seller's payouts, newest first, with the sale each pays for (one query)."""
    return (
        Payout.objects.filter(seller=seller)
        .select_related("transaction__listing__ticket__event")
        .order_by("-created_at", "-id")
    )


def payout_account_get(*, user) -> PayoutAccount | None:
    """The seller's payout account, or None before they asked for one."""
    return PayoutAccount.objects.filter(user=user).first()


@dataclass(frozen=True)
class PayoutAccountStatus:
    """Where a seller stands with payouts, as the page and the API show it."""

    status: str  # none, pending, restricted, enabled
    payouts_enabled: bool
    requirements_due: list[str]
    country: str | None
    default_currency: str | None

    @property
    def can_receive(self) -> bool:
        return self.status == PayoutAccount.State.ENABLED


def payout_account_status(*, user) -> PayoutAccountStatus:
    account = payout_account_get(user=user)
    if account is None:
        return PayoutAccountStatus("none", False, [], None, None)
    return PayoutAccountStatus(
        status=account.state,
        payouts_enabled=account.can_receive,
        requirements_due=list(account.requirements_due or []),
        country=account.country,
        default_currency=account.default_currency or None,
    )


# What a seller's money is doing, for the payouts page's summary.
PAYOUT_GROUPS = {
    "held": (Payout.Status.HELD, Payout.Status.FROZEN),
    "scheduled": (Payout.Status.SCHEDULED,),
    "paid": (Payout.Status.PAID,),
    "failed": (Payout.Status.FAILED,),
}


def payout_totals_for_seller(*, seller) -> dict[str, list[tuple[str, Decimal]]]:
    """Per group (held, scheduled, paid, failed), the totals per currency: one query."""
    rows = (
        Payout.objects.filter(seller=seller)
        .values("status", "currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    totals: dict[str, dict[str, Decimal]] = {group: {} for group in PAYOUT_GROUPS}
    for row in rows:
        for group, statuses in PAYOUT_GROUPS.items():
            if row["status"] in statuses:
                by_currency = totals[group]
                by_currency[row["currency"]] = by_currency.get(row["currency"], 0) + row["total"]
    return {group: sorted(values.items()) for group, values in totals.items()}
