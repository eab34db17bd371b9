"""Reads of transactions that the pages and the API share (ARCHITECTURE.md, rule 10)."""

from django.db.models import Q, QuerySet

from marketplace.errors import NotFound, PermissionDenied

from .models import Payout, Transaction

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
