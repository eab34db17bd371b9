"""What the payments pages share: the transaction a page may show, and its breakdown.

Thin views (STYLE.md, 2): a form checks the shape of the input, a service or
selector does the work, a DomainError becomes a form error or a page message.
What a view has nothing particular to say about, it lets escape: the site's
one mapping (marketplace.page_errors) answers NotFound with the 404 page.
Other people's transactions answer 404 (ARCHITECTURE.md, rule 10).

A refused form or payment re-renders its page with 200, as Django's forms do:
the page says what went wrong next to the field, and a browser logs every
4xx page as a console error, which the browser tests allow none of.
"""

from django.http import Http404

from listings.pricing import fee_breakdown_for_listing
from marketplace.core.errors import NotFound, PermissionDenied
from payments.models import Transaction
from payments.selectors import transaction_get_for_buyer


def buyer_transaction(request, transaction_id: int) -> Transaction:
    """The buyer's own transaction; 404 for anyone else, its seller included
    (the checkout and the buyer's actions are not theirs). On purpose, the
    seller's PermissionDenied is the 404 page here, as for anyone else, not
    the 403 page of the site's mapping (marketplace.page_errors)."""
    try:
        return transaction_get_for_buyer(user=request.user, transaction_id=transaction_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc


def transaction_breakdown(txn: Transaction):
    """The one fee breakdown (listings.pricing) of the price this transaction paid."""
    return fee_breakdown_for_listing(txn.listing, price=txn.final_price, currency=txn.currency)
