"""The buyer's and seller's pages: buy, checkout, pay, and after the sale.

Thin views (STYLE.md, 2): a form checks the shape of the input, a service or
selector does the work, a DomainError becomes a form error or a page message.
Other people's transactions answer 404 (ARCHITECTURE.md, rule 10).

The card never touches Encore: checkout.js asks Stripe.js for a card id
(stripe.createToken) and posts only that id to `pay`, which charges it
server-side with transaction_pay. That works unchanged with real Stripe.js
and with localstripe's stand-in (whose confirmCardPayment cannot take a card).

A refused form or payment re-renders its page with 200, as Django's forms do:
the page says what went wrong next to the field, and a browser logs every
4xx page as a console error, which the browser tests allow none of.
"""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listings.pricing import fee_breakdown
from listings.selectors import listing_event_id, listing_get_visible
from marketplace.api.base import client_ip  # also registers the "id" path converter
from marketplace.errors import (
    DomainError,
    ListingExpired,
    NotFound,
    PaymentFailed,
    PermissionDenied,
    ServiceUnavailable,
    TicketNotAvailable,
    ValidationFailed,
)
from marketplace.forms import form_error_from
from marketplace.pagination import BoundedPaginator
from messaging.forms import MessageForm
from messaging.masking import BANK_HIDDEN, CONTACT_HIDDEN, PAYMENT_HIDDEN
from messaging.selectors import message_thread
from messaging.services import message_thread_mark_read

from .forms import DisputeForm, PayForm
from .models import Payout, Transaction
from .selectors import (
    payout_list_for_seller,
    transaction_get_for_buyer,
    transaction_get_for_party,
    transaction_list_for_user,
)
from .services import (
    dispute_open,
    transaction_confirm,
    transaction_pay,
    transaction_payment_sync,
    transaction_purchase,
)
from .services.disputes import dispute_window_closes_at
from .services.escrow import auto_confirm_due_at
from .timeline import transaction_timeline

PER_PAGE = 20
# The thread shows its latest messages; older ones stay in the API and the admin.
THREAD_LIMIT = 100
# A paid (or settled) purchase: the ticket is the buyer's to download.
TICKET_HELD_STATUSES = (
    Transaction.Status.PAID,
    Transaction.Status.COMPLETED,
    Transaction.Status.DISPUTED,
)
# Stripe's codes for a request it refused (not a decision about the card).
NOT_A_DECLINE = {"invalid_request", "resource_missing", "payment_intent_unexpected_state"}

TAKEN_MESSAGE = (
    "Someone else is buying or bought this ticket. If their payment does not go "
    "through, it comes back on sale within minutes."
)
EXPIRED_LISTING_MESSAGE = "This listing has expired: the ticket is no longer on sale."
OWN_LISTING_MESSAGE = "This is your own listing: you cannot buy your own ticket."
STRIPE_DOWN_MESSAGE = (
    "Payments are unavailable right now, so nothing was reserved or charged. "
    "Please try again in a few minutes."
)
RESERVATION_ENDED_MESSAGE = (
    "Your reservation has expired and the ticket went back on sale. Nothing was charged."
)


# --- helpers -------------------------------------------------------------------


def _buyer_transaction(request, transaction_id: int) -> Transaction:
    """The buyer's own transaction; 404 for anyone else, its seller included
    (the checkout and the buyer's actions are not theirs)."""
    try:
        return transaction_get_for_buyer(user=request.user, transaction_id=transaction_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc


def _party_transaction(request, transaction_id: int) -> Transaction:
    try:
        return transaction_get_for_party(user=request.user, transaction_id=transaction_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _listing_url(listing_id: int) -> str:
    return reverse("events:listing", args=[listing_id])


def _back_from_refusal(user, listing_id: int) -> str:
    """The listing page while it is still on sale; else its event's page, with the
    other tickets (someone else reserved or bought this one)."""
    try:
        listing_get_visible(user=user, listing_id=listing_id)
    except NotFound:
        event_id = listing_event_id(listing_id=listing_id)
        if event_id is not None:
            return reverse("events:detail", args=[event_id])
    return _listing_url(listing_id)


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


def _reservation_over(txn: Transaction, now) -> bool:
    return txn.reserved_until is not None and txn.reserved_until <= now


def _stripe_js_url() -> str:
    # Real Stripe.js in production; localstripe serves its stand-in at this path.
    return settings.STRIPE_JS_URL or f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/"


def _party_name(user, fallback: str) -> str:
    # The name only: an email address is contact details (ARCHITECTURE.md, masking).
    return (user.name or "").strip() or fallback


def _sender_label(message, *, txn: Transaction, viewer) -> str:
    if message.sender_id == viewer.pk:
        return "You"
    if message.sender_id == txn.buyer_id:
        name = _party_name(txn.buyer, "The buyer")
        return name if viewer.pk == txn.seller_id else f"Buyer: {name}"
    name = _party_name(txn.seller, "The seller")
    return name if viewer.pk == txn.buyer_id else f"Seller: {name}"


def highlight_masked(body: str) -> str:
    """The message, escaped, with the placeholders of masked contact details
    marked, so the reader sees what was hidden and why."""
    html = escape(body)
    for placeholder in (CONTACT_HIDDEN, PAYMENT_HIDDEN, BANK_HIDDEN):
        html = html.replace(
            escape(placeholder), f'<mark class="masked">{escape(placeholder)}</mark>'
        )
    return mark_safe(html)  # noqa: S308 (escaped above; only our own markup added)


def _decline_reason(message: str) -> str:
    """Stripe's reason, to follow "Your card was declined: " without repeating it."""
    reason = (message or "").strip().rstrip(".")
    if not reason or reason.lower() == "your card was declined":
        return "the card issuer refused the payment"
    return reason[0].lower() + reason[1:]


def _page(request, queryset):
    return BoundedPaginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


# --- buying ----------------------------------------------------------------------


@require_POST
def buy(request, listing_id: int):
    """Reserve the listing for the buyer and open the checkout; a refusal goes
    back to the listing page with the reason."""
    if not request.user.is_authenticated:
        # After logging in, come back to the listing (this URL only takes POST).
        return redirect_to_login(_listing_url(listing_id))
    # An expired reservation, the buyer's own included, is released by the
    # purchase service itself ("Reserve it again" on an expired checkout).
    try:
        purchase = transaction_purchase(
            buyer=request.user, listing_id=listing_id, ip_address=client_ip(request)
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except TicketNotAvailable:
        mine = (
            transaction_list_for_user(user=request.user, role="buyer")
            .filter(listing_id=listing_id, status=Transaction.Status.PENDING_PAYMENT)
            .first()
        )
        if mine is None:
            messages.error(request, TAKEN_MESSAGE)
        elif not _reservation_over(mine, timezone.now()):
            messages.info(request, "You have already reserved this ticket: finish paying below.")
            return redirect("payments:checkout", mine.pk)
        else:  # Stripe could not be asked to release it: its page says where it stands
            return redirect("payments:transaction", mine.pk)
    except ListingExpired:
        messages.error(request, EXPIRED_LISTING_MESSAGE)
    except PermissionDenied as exc:
        own = exc.details.get("reason") == "OWN_LISTING"
        messages.error(request, OWN_LISTING_MESSAGE if own else exc.message)
    except ServiceUnavailable:
        messages.error(request, STRIPE_DOWN_MESSAGE)
    except DomainError as exc:  # the purchase limit (ValidationFailed), a refused card
        messages.error(request, exc.message)
    else:
        return redirect("payments:checkout", purchase.transaction.pk)
    return redirect(_back_from_refusal(request.user, listing_id))


def _render_checkout(request, txn: Transaction, *, error: str = ""):
    now = timezone.now()
    expired = _reservation_over(txn, now)
    seconds_left = (
        max(int((txn.reserved_until - now).total_seconds()), 0) if txn.reserved_until else None
    )
    context = {
        "txn": txn,
        "listing": txn.listing,
        "ticket": txn.listing.ticket,
        "event": txn.listing.ticket.event,
        "breakdown": transaction_breakdown(txn),
        "expired": expired,
        "seconds_left": seconds_left,
        "minutes_left": (seconds_left or 0) // 60,
        "seconds_part": (seconds_left or 0) % 60,
        # Epoch milliseconds: checkout.js counts down from the server's clock.
        "deadline_ms": int(txn.reserved_until.timestamp() * 1000) if txn.reserved_until else "",
        "now_ms": int(now.timestamp() * 1000),
        "reservation_minutes": settings.RESERVATION_MINUTES,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "test_mode": settings.STRIPE_PUBLISHABLE_KEY.startswith("pk_test_"),
        "error": error,
        "stripe_js_url": _stripe_js_url(),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return render(request, "payments/checkout.html", context)


@require_GET
@login_required
def checkout(request, transaction_id: int):
    """The card form and the countdown of the reservation, for its buyer only."""
    txn = _buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        if txn.status == Transaction.Status.CANCELLED:
            messages.warning(request, "This reservation has ended: the ticket went back on sale.")
        return redirect("payments:transaction", txn.pk)
    return _render_checkout(request, txn)


@require_POST
@login_required
def pay(request, transaction_id: int):
    """Charge the card that Stripe.js turned into `payment_method_id`."""
    txn = _buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        return _no_longer_waiting(request, txn)
    form = PayForm(request.POST)
    if not form.is_valid():
        return _render_checkout(request, txn, error=form.errors["payment_method_id"][0])
    try:
        txn = transaction_pay(
            buyer=request.user,
            transaction_id=txn.pk,
            payment_method_id=form.cleaned_data["payment_method_id"],
            ip_address=client_ip(request),
        )
    except PaymentFailed as exc:
        context = {
            "txn": txn,
            "listing": txn.listing,
            "event": txn.listing.ticket.event,
            "declined": exc.details.get("reason") not in NOT_A_DECLINE,
            "reason": _decline_reason(exc.message),
        }
        return render(request, "payments/checkout_failed.html", context)
    except TicketNotAvailable as exc:
        if exc.details.get("reason") == "RESERVATION_EXPIRED":
            return _render_checkout(request, txn)  # the page says the time is up
        # Paid or released meanwhile (another tab, the periodic job).
        return _no_longer_waiting(request, _buyer_transaction(request, transaction_id))
    except ServiceUnavailable as exc:
        return _render_checkout(request, txn, error=exc.message)
    return redirect("payments:checkout-done", txn.pk)


def _no_longer_waiting(request, txn: Transaction):
    if txn.status in TICKET_HELD_STATUSES:  # paid already (a second click)
        return redirect("payments:checkout-done", txn.pk)
    messages.warning(request, "This purchase is no longer waiting for payment.")
    return redirect("payments:transaction", txn.pk)


@require_GET
@login_required
def checkout_done(request, transaction_id: int):
    """The "Payment received" page and what happens next. A payment Stripe is
    still processing is looked up first (the webhook may not have arrived yet)."""
    txn = _buyer_transaction(request, transaction_id)
    if txn.status == Transaction.Status.PENDING_PAYMENT and txn.payment_id:
        # Stripe unreachable: still processing as far as we know; the page says so.
        with contextlib.suppress(ServiceUnavailable):
            transaction_payment_sync(transaction_id=txn.pk)
        txn = _buyer_transaction(request, transaction_id)
    if txn.status == Transaction.Status.PENDING_PAYMENT:
        if _reservation_over(txn, timezone.now()):
            return redirect("payments:checkout", txn.pk)
        return render(request, "payments/checkout_processing.html", {"txn": txn})
    if txn.status not in TICKET_HELD_STATUSES:
        messages.warning(request, "This purchase was not paid.")
        return redirect("payments:transaction", txn.pk)
    context = {
        "txn": txn,
        "event": txn.listing.ticket.event,
        "ticket": txn.listing.ticket,
        "breakdown": transaction_breakdown(txn),
        "auto_confirm_at": auto_confirm_due_at(txn),
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "dispute_window_hours": settings.DISPUTE_WINDOW_HOURS,
    }
    return render(request, "payments/checkout_done.html", context)


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
    messaging.views renders it too, with the refused message form."""
    user = request.user
    role = "buyer" if txn.buyer_id == user.pk else "seller" if txn.seller_id == user.pk else "staff"
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
    paid = txn.status == Transaction.Status.PAID
    now = timezone.now()
    held = txn.status in TICKET_HELD_STATUSES
    context = {
        "txn": txn,
        "role": role,
        "event": txn.listing.ticket.event,
        "ticket": txn.listing.ticket,
        "breakdown": transaction_breakdown(txn),
        "timeline": transaction_timeline(txn=txn),
        "thread": thread,
        "thread_truncated": len(thread) == THREAD_LIMIT,
        "payout": payout,
        "payout_statuses": Payout.Status,
        "can_pay": role == "buyer"
        and txn.status == Transaction.Status.PENDING_PAYMENT
        and not _reservation_over(txn, now),
        "can_download": role == "buyer" and held and txn.listing.ticket.owner_id == user.pk,
        "can_confirm": role == "buyer" and paid,
        "can_dispute": role == "buyer" and paid and now <= dispute_window_closes_at(txn),
        "can_message": role != "staff" and txn.status != Transaction.Status.CANCELLED,
        "other_party": _party_name(txn.seller, "the seller")
        if role == "buyer"
        else _party_name(txn.buyer, "the buyer"),
        "message_form": message_form or MessageForm(),
        "auto_confirm_at": auto_confirm_due_at(txn) if held else None,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
    }
    return render(request, "payments/transaction.html", context)


@require_GET
@login_required
def transaction_detail(request, transaction_id: int):
    return render_transaction_page(request, _party_transaction(request, transaction_id))


@require_POST
@login_required
def confirm(request, transaction_id: int):
    """The buyer's "Confirm I received it": the sale completes, the seller is paid."""
    txn = _buyer_transaction(request, transaction_id)
    try:
        transaction_confirm(
            buyer=request.user, transaction_id=txn.pk, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Thank you! The sale is complete and the seller's payout is on its way."
        )
    return redirect("payments:transaction", txn.pk)


@require_http_methods(["GET", "POST"])
@login_required
def dispute(request, transaction_id: int):
    """The buyer's "Report a problem": a dispute, while Encore holds the payment."""
    txn = _buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PAID:
        if txn.status == Transaction.Status.DISPUTED:
            messages.info(request, "You have reported a problem: Encore staff are looking at it.")
        else:
            messages.info(
                request,
                "You can report a problem while Encore holds the payment (before you confirm "
                "receipt). For anything else, write to the other party below.",
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
                "Your report was sent. Encore staff will look at it; the seller's payout "
                "stays held until they decide.",
            )
            return redirect("payments:transaction", txn.pk)
    context = {
        "txn": txn,
        "event": txn.listing.ticket.event,
        "form": form,
        "closes_at": dispute_window_closes_at(txn),
    }
    return render(request, "payments/dispute.html", context)
