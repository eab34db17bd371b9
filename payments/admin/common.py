"""What the payments admins share: the actor's address and the refund confirmation."""

from django.utils.translation import gettext_lazy as _

from marketplace.core.admin import confirm_then
from marketplace.core.client_ip import client_ip


def request_ip(request):
    return client_ip(request)


REFUND_EXPLANATION = _(
    "The buyer gets the full price back through Stripe, the ticket becomes void and the "
    "seller's payout is cancelled (a transfer already made to the seller is taken back "
    "first). Both are told. This cannot be undone."
)


def refund_action(admin_, request, queryset, perform):
    return confirm_then(
        admin_,
        request,
        queryset,
        title=_("Refund the buyer"),
        explanation=REFUND_EXPLANATION,
        perform=perform,
    )
