"""What the payments pages share: the transaction a page may show, and its breakdown.

Thin views (STYLE.md, 2): a form checks the shape of the input, a service or
selector does the work, a DomainError becomes a form error or a page message.
Other people's transactions answer 404 (ARCHITECTURE.md, rule 10).

A refused form or payment re-renders its page with 200, as Django's forms do:
the page says what went wrong next to the field, and a browser logs every
4xx page as a console error, which the browser tests allow none of.
"""

from django.http import Http404

from listings.pricing import fee_breakdown
from marketplace.errors import NotFound, PermissionDenied
from payments.models import Transaction
from payments.selectors import transaction_get_for_buyer, transaction_get_for_party

# A paid (or settled) purchase: the ticket is the buyer's to download.
TICKET_HELD_STATUSES = (
    Transaction.Status.PAID,
    Transaction.Status.COMPLETED,
    Transaction.Status.DISPUTED,
)


def buyer_transaction(request, transaction_id: int) -> Transaction:
    """The buyer's own transaction; 404 for anyone else, its seller included
    (the checkout and the buyer's actions are not theirs)."""
    try:
        return transaction_get_for_buyer(user=request.user, transaction_id=transaction_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc


def party_transaction(request, transaction_id: int) -> Transaction:
    try:
        return transaction_get_for_party(user=request.user, transaction_id=transaction_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def transaction_breakdown(txn: Transaction):
    """The one fee breakdown (listings.pricing) of the price this transaction paid."""
    event = txn.listing.ticket.event
    return fee_breakdown(
        price=txn.final_price,
        face_value=txn.listing.ticket.face_value,
        category=event.category,
        country=event.country,
        currency=txn.currency,
    )


def reservation_over(txn: Transaction, now) -> bool:
    return txn.reserved_until is not None and txn.reserved_until <= now
