"""After the sale: my purchases and sales, the transaction page (timeline,
ticket, payout, messages), confirming receipt and reporting a problem."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.core.client_ip import client_ip
from marketplace.core.errors import PaymentFailed, ServiceUnavailable, ValidationFailed
from marketplace.core.forms import form_error_from
from marketplace.core.money import money_display
from marketplace.core.pagination import BoundedPaginator
from messaging.forms import MessageForm
from messaging.masking import BANK_HIDDEN, CONTACT_HIDDEN, PAYMENT_HIDDEN
from messaging.selectors import message_thread
from messaging.services import message_thread_mark_read
from payments.forms import DisputeForm
from payments.models import Payout, Transaction
from payments.selectors import (
    payout_list_for_seller,
    transaction_get_for_party,
    transaction_list_for_user,
    transaction_view_for,
)
from payments.services import (
    dispute_open,
    transaction_confirm,
    transaction_postponement_refund,
)
from payments.timeline import transaction_timeline

from .common import buyer_transaction, transaction_breakdown

PER_PAGE = 20
# The thread shows its latest messages; older ones stay in the API and the admin.
THREAD_LIMIT = 100


def _party_name(user, fallback: str) -> str:
    # The name only, and never one that is contact details (ARCHITECTURE.md, masking).
    return user.public_name_or(fallback)


def _sender_label(message, *, txn: Transaction, viewer) -> str:
    if message.sender_id == viewer.pk:
        return _("You")
    if message.sender_id == txn.buyer_id:
        name = _party_name(txn.buyer, _("The buyer"))
        return name if viewer.pk == txn.seller_id else _("Buyer: %(name)s") % {"name": name}
    name = _party_name(txn.seller, _("The seller"))
    return name if viewer.pk == txn.buyer_id else _("Seller: %(name)s") % {"name": name}


def highlight_masked(body: str) -> str:
    """The message, escaped, with the placeholders of masked contact details
    marked, so the reader sees what was hidden and why."""
    html = escape(body)
    for placeholder in (CONTACT_HIDDEN, PAYMENT_HIDDEN, BANK_HIDDEN):
        html = html.replace(
            escape(placeholder), f'<mark class="masked">{escape(placeholder)}</mark>'
        )
    return mark_safe(html)  # noqa: S308 (escaped above; only our own markup added)


def _page(request, queryset):
    return BoundedPaginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


# --- after the sale --------------------------------------------------------------


@require_GET
@login_required
def purchases(request):
    page = _page(request, transaction_list_for_user(user=request.user, role="buyer"))
    return render(request, "payments/transaction_list.html", {"page": page, "role": "buyer"})


@require_GET
@login_required
def sales(request):
    page = _page(request, transaction_list_for_user(user=request.user, role="seller"))
    return render(request, "payments/transaction_list.html", {"page": page, "role": "seller"})


def render_transaction_page(request, txn: Transaction, *, message_form=None):
    """The transaction page: timeline, ticket, actions, payout and the thread.
    payments.views.messages renders it too, with the refused message form."""
    user = request.user
    view = transaction_view_for(user=user, transaction=txn)
    role = view.role
    latest = message_thread(user=user, transaction=txn).order_by("-created_at", "-id")
    thread = list(latest[:THREAD_LIMIT])[::-1]
    for message in thread:
        message.sender_label = _sender_label(message, txn=txn, viewer=user)
        message.body_html = highlight_masked(message.body)
    # After reading the thread, so that the page can still mark what was new.
    message_thread_mark_read(user=user, transaction=txn)
    payout = None
    if role != "buyer":
        payout = payout_list_for_seller(seller=txn.seller).filter(transaction_id=txn.pk).first()
    context = {
        "txn": txn,
        "role": role,
        # What the viewer may do, and until when (payments.selectors.transaction_view_for).
        "actions": view.actions,
        "deadlines": view.deadlines,
        "event": txn.listing.ticket.event,
        "ticket": txn.listing.ticket,
        "breakdown": transaction_breakdown(txn),
        "timeline": transaction_timeline(txn=txn),
        "thread": thread,
        "thread_truncated": len(thread) == THREAD_LIMIT,
        "payout": payout,
        "payout_statuses": Payout.Status,
        "other_party": _party_name(txn.seller, _("the seller"))
        if role == "buyer"
        else _party_name(txn.buyer, _("the buyer")),
        "message_form": message_form or MessageForm(),
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
    }
    return render(request, "payments/transaction.html", context)


@require_GET
@login_required
def transaction_detail(request, transaction_id: int):
    """Its buyer, its seller and staff see it; anyone else gets the selector's
    NotFound, which marketplace.page_errors answers with the 404 page."""
    txn = transaction_get_for_party(user=request.user, transaction_id=transaction_id)
    return render_transaction_page(request, txn)


@require_POST
@login_required
def confirm(request, transaction_id: int):
    """The buyer's "Confirm I received it": the sale completes, the seller is paid."""
    txn = buyer_transaction(request, transaction_id)
    try:
        transaction_confirm(
            buyer=request.user, transaction_id=txn.pk, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Thank you! The sale is complete and the seller's payout is on its way.")
        )
    return redirect("payments:transaction", txn.pk)


@require_POST
@login_required
def postponement_refund(request, transaction_id: int):
    """The buyer's "Refund me instead" after the event moved (within
    POSTPONEMENT_REFUND_DAYS of the move, payments.services.event_changes)."""
    txn = buyer_transaction(request, transaction_id)
    try:
        txn = transaction_postponement_refund(
            buyer=request.user, transaction_id=txn.pk, ip_address=client_ip(request)
        )
    except (ValidationFailed, PaymentFailed, ServiceUnavailable) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "You are refunded in full: %(amount)s goes back to your card within 5 to 10 "
                "working days. The ticket has been cancelled."
            )
            % {"amount": money_display(txn.final_price, txn.currency)},
        )
    return redirect("payments:transaction", txn.pk)


@require_http_methods(["GET", "POST"])
@login_required
def dispute(request, transaction_id: int):
    """The buyer's "Report a problem": a dispute, while Encore holds the payment."""
    txn = buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PAID:
        if txn.status == Transaction.Status.DISPUTED:
            messages.info(
                request, _("You have reported a problem: Encore staff are looking at it.")
            )
        else:
            messages.info(
                request,
                _(
                    "You can report a problem while Encore holds the payment (before you confirm "
                    "receipt). For anything else, write to the other party below."
                ),
            )
        return redirect("payments:transaction", txn.pk)
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute_open(
                buyer=request.user,
                transaction_id=txn.pk,
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                ip_address=client_ip(request),
            )
        except ValidationFailed as exc:
            form_error_from(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your report was sent. Encore staff will look at it; the seller's payout "
                    "stays held until they decide."
                ),
            )
            return redirect("payments:transaction", txn.pk)
    deadlines = transaction_view_for(user=request.user, transaction=txn).deadlines
    context = {
        "txn": txn,
        "event": txn.listing.ticket.event,
        "form": form,
        "closes_at": deadlines.dispute_window_closes_at,
    }
    return render(request, "payments/dispute.html", context)
