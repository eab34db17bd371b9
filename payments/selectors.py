"""Reads of transactions and payouts that the pages and the API share (ARCHITECTURE.md, rule 10)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from marketplace.errors import NotFound, PermissionDenied

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
        raise NotFound("Transaction not found.")
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
        raise NotFound("Transaction not found.")
    if transaction.buyer_id != user.pk:
        raise PermissionDenied("Only the buyer can do this.", details={"reason": "NOT_THE_BUYER"})
    return transaction


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
