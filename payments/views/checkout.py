"""Buying: reserve, pay by card (with the card holder's authentication when
their bank asks for it), done.

The card never touches Encore. checkout.js asks Stripe.js for a PaymentMethod
(stripe.createPaymentMethod) and posts only its id to `pay`, which confirms
the PaymentIntent server-side (transaction_pay). When the bank asks for
authentication (3-D Secure), the page comes back with the PaymentIntent's
client secret; checkout.js runs Stripe.js's authentication step
(stripe.confirmCardPayment) and then posts to `authenticated`, where the
server reads the PaymentIntent again. Stripe's webhook stays the source of
truth. The same calls work with real Stripe.js and with the local stand-in.
"""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from listings.selectors import listing_event_id, listing_get_visible
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import (
    DomainError,
    ListingExpired,
    NotFound,
    PaymentFailed,
    PermissionDenied,
    ServiceUnavailable,
    TicketNotAvailable,
    ValidationFailed,
)
from payments.forms import PayForm
from payments.models import Transaction
from payments.selectors import (
    RESERVATION_EXTEND_WINDOW,
    RESERVATION_EXTENSION,
    TICKET_HELD_STATUSES,
    reservation_extend_opens_at,
    transaction_list_for_user,
    transaction_view_for,
)
from payments.services import (
    reservation_extend,
    transaction_abandon,
    transaction_pay,
    transaction_payment_sync,
    transaction_purchase,
)

from .common import buyer_transaction, transaction_breakdown

# Stripe's codes for a request it refused (not a decision about the card).
NOT_A_DECLINE = {
    "invalid_request",
    "resource_missing",
    "payment_intent_unexpected_state",
    "too_many_attempts",
}

TAKEN_MESSAGE = gettext_lazy(
    "Someone else is buying or bought this ticket. If their payment does not go "
    "through, it comes back on sale within minutes."
)
EXPIRED_LISTING_MESSAGE = gettext_lazy("This listing has expired: the ticket is no longer on sale.")
OWN_LISTING_MESSAGE = gettext_lazy("This is your own listing: you cannot buy your own ticket.")
STRIPE_DOWN_MESSAGE = gettext_lazy(
    "Payments are unavailable right now, so nothing was reserved or charged. "
    "Please try again in a few minutes."
)
AUTHENTICATION_ASKED_MESSAGE = gettext_lazy(
    "Your bank asks you to confirm this payment. Follow your bank's steps in the window "
    "that opens; nothing is charged until you do."
)
AUTHENTICATION_FAILED_MESSAGE = gettext_lazy(
    "Your bank did not confirm the payment (the check failed or was cancelled), so nothing "
    "was charged. Try again, or pay with another card, while the ticket is reserved for you."
)


def _listing_url(listing_id: int) -> str:
    return reverse("listings:detail", args=[listing_id])


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


def _stripe_js_url() -> str:
    # Real Stripe.js in production; the local Stripe serves its stand-in at this path.
    return settings.STRIPE_JS_URL or f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/"


def _decline_reason(message: str) -> str:
    """Stripe's reason, to follow "Your card was declined: " without repeating it."""
    reason = (message or "").strip().rstrip(".")
    if not reason or reason.lower() == "your card was declined":
        return _("the card issuer refused the payment")
    return reason[0].lower() + reason[1:]


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
    except NotFound:
        raise  # not the DomainError below: marketplace.page_errors answers the 404 page
    except TicketNotAvailable:
        mine = (
            transaction_list_for_user(user=request.user, role="buyer")
            .filter(listing_id=listing_id, status=Transaction.Status.PENDING_PAYMENT)
            .first()
        )
        if mine is None:
            messages.error(request, TAKEN_MESSAGE)
        elif transaction_view_for(user=request.user, transaction=mine).actions.pay.allowed:
            messages.info(request, _("You have already reserved this ticket: finish paying below."))
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


def _render_checkout(
    request, txn: Transaction, *, error: str = "", client_secret: str = "", autostart=False
):
    """The checkout page. With `client_secret`, the card holder's bank asks for
    authentication: checkout.js offers it, and starts it at once with `autostart`."""
    now = timezone.now()
    # Rendered for a reservation only: when it can no longer be paid, its time is up.
    actions = transaction_view_for(user=request.user, transaction=txn, now=now).actions
    pay = actions.pay
    # "I need more time": shown when allowed; else, while still possible, hidden
    # until checkout.js reaches the moment it opens (the form works without JS).
    extend_opens_at = reservation_extend_opens_at(txn) if pay.allowed else None
    reserved_until = txn.reserved_until
    seconds_left = max(int((reserved_until - now).total_seconds()), 0) if reserved_until else None
    context = {
        "txn": txn,
        "listing": txn.listing,
        "ticket": txn.listing.ticket,
        "event": txn.listing.ticket.event,
        "breakdown": transaction_breakdown(txn),
        "expired": not pay.allowed,
        "seconds_left": seconds_left,
        # m:ss, as the countdown shows it until checkout.js takes over.
        "time_left": f"{(seconds_left or 0) // 60}:{(seconds_left or 0) % 60:02d}",
        # Epoch milliseconds: checkout.js counts down from the server's clock.
        "deadline_ms": int(reserved_until.timestamp() * 1000) if reserved_until else "",
        "now_ms": int(now.timestamp() * 1000),
        "reservation_minutes": settings.RESERVATION_MINUTES,
        "extend_allowed": actions.extend.allowed,
        "extend_opens_ms": int(extend_opens_at.timestamp() * 1000) if extend_opens_at else "",
        "extension_minutes": int(RESERVATION_EXTENSION.total_seconds() // 60),
        "extend_window_minutes": int(RESERVATION_EXTEND_WINDOW.total_seconds() // 60),
        "extended": txn.reservation_extended_at is not None,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "test_mode": settings.STRIPE_PUBLISHABLE_KEY.startswith("pk_test_"),
        "error": error,
        "authenticate_secret": client_secret,
        "authenticate_message": AUTHENTICATION_ASKED_MESSAGE if client_secret else "",
        "authenticate_autostart": autostart,
        "stripe_js_url": _stripe_js_url(),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return render(request, "payments/checkout.html", context)


@require_GET
@login_required
def checkout(request, transaction_id: int):
    """The card form and the countdown of the reservation, for its buyer only.
    A payment waiting for the card holder's authentication resumes it."""
    txn = buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        if txn.status == Transaction.Status.CANCELLED:
            messages.warning(
                request, _("This reservation has ended: the ticket went back on sale.")
            )
        return redirect("payments:transaction", txn.pk)
    client_secret = ""
    if txn.payment_status == Transaction.PaymentStatus.REQUIRES_ACTION:
        with contextlib.suppress(ServiceUnavailable):
            sync = transaction_payment_sync(transaction_id=txn.pk)
            if sync.transaction.status != Transaction.Status.PENDING_PAYMENT:
                return _no_longer_waiting(request, sync.transaction)
            client_secret = sync.client_secret
        txn = buyer_transaction(request, transaction_id)
    return _render_checkout(request, txn, client_secret=client_secret)


@require_POST
@login_required
def pay(request, transaction_id: int):
    """Charge the card that Stripe.js turned into `payment_method_id`."""
    txn = buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        return _no_longer_waiting(request, txn)
    form = PayForm(request.POST)
    if not form.is_valid():
        return _render_checkout(request, txn, error=form.errors["payment_method_id"][0])
    try:
        payment = transaction_pay(
            buyer=request.user,
            transaction_id=txn.pk,
            payment_method_id=form.cleaned_data["payment_method_id"],
            ip_address=client_ip(request),
        )
    except ValidationFailed as exc:
        return _render_checkout(request, txn, error=exc.message)
    except PaymentFailed as exc:
        context = {
            "txn": txn,
            "listing": txn.listing,
            "event": txn.listing.ticket.event,
            "declined": exc.details.get("reason") not in NOT_A_DECLINE,
            "reason": _decline_reason(exc.message),
            "message": exc.message if exc.details.get("reason") == "too_many_attempts" else "",
        }
        return render(request, "payments/checkout_failed.html", context)
    except TicketNotAvailable as exc:
        if exc.details.get("reason") == "RESERVATION_EXPIRED":
            return _render_checkout(request, txn)  # the page says the time is up
        # Paid or released meanwhile (another tab, the periodic job).
        return _no_longer_waiting(request, buyer_transaction(request, transaction_id))
    except ServiceUnavailable as exc:
        return _render_checkout(request, txn, error=exc.message)
    if payment.next_action is not None:
        return _render_checkout(
            request, payment.transaction, client_secret=payment.client_secret, autostart=True
        )
    return redirect("payments:checkout-done", txn.pk)


@require_POST
@login_required
def authenticated(request, transaction_id: int):
    """Stripe.js has run the card holder's authentication: read the payment
    again at Stripe (the webhook may not have arrived) and show where it stands."""
    txn = buyer_transaction(request, transaction_id)
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        return _no_longer_waiting(request, txn)
    try:
        sync = transaction_payment_sync(transaction_id=txn.pk)
    except ServiceUnavailable as exc:
        return _render_checkout(request, txn, error=exc.message)
    txn = sync.transaction
    if txn.status != Transaction.Status.PENDING_PAYMENT:
        return _no_longer_waiting(request, txn)
    if txn.payment_status == Transaction.PaymentStatus.PENDING:
        return _render_checkout(request, txn, error=AUTHENTICATION_FAILED_MESSAGE)
    if sync.next_action is not None:  # the window was closed before the bank answered
        return _render_checkout(
            request, txn, error=AUTHENTICATION_FAILED_MESSAGE, client_secret=sync.client_secret
        )
    return redirect("payments:checkout-done", txn.pk)  # Stripe is still processing


@require_POST
@login_required
def cancel(request, transaction_id: int):
    """The buyer gives up the reservation: the ticket goes back on sale at once."""
    txn = buyer_transaction(request, transaction_id)
    try:
        transaction_abandon(
            buyer=request.user, transaction_id=txn.pk, ip_address=client_ip(request)
        )
    except TicketNotAvailable:
        return _no_longer_waiting(request, buyer_transaction(request, transaction_id))
    messages.info(request, _("Your reservation is cancelled and nothing was charged."))
    return redirect(_back_from_refusal(request.user, txn.listing_id))


@require_POST
@login_required
def extend(request, transaction_id: int):
    """The checkout's "I need more time": the reservation runs RESERVATION_EXTENSION
    longer, once (payments.services.reservations.reservation_extend)."""
    txn = buyer_transaction(request, transaction_id)
    try:
        txn = reservation_extend(
            buyer=request.user, transaction_id=txn.pk, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:  # too early, or already extended
        messages.error(request, exc.message)
        return redirect("payments:checkout", txn.pk)
    except TicketNotAvailable as exc:
        if exc.details.get("reason") == "RESERVATION_EXPIRED":
            return _render_checkout(request, txn)  # the page says the time is up
        return _no_longer_waiting(request, buyer_transaction(request, transaction_id))
    until = timezone.localtime(txn.reserved_until)
    minutes = int(RESERVATION_EXTENSION.total_seconds() // 60)
    messages.success(
        request,
        ngettext(
            "You have %(minutes)s more minute: the ticket is reserved for you until %(time)s.",
            "You have %(minutes)s more minutes: the ticket is reserved for you until %(time)s.",
            minutes,
        )
        % {"minutes": minutes, "time": time_format(until, "TIME_FORMAT")},
    )
    return redirect("payments:checkout", txn.pk)


def _no_longer_waiting(request, txn: Transaction):
    if txn.status in TICKET_HELD_STATUSES:  # paid already (a second click)
        return redirect("payments:checkout-done", txn.pk)
    messages.warning(request, _("This purchase is no longer waiting for payment."))
    return redirect("payments:transaction", txn.pk)


@require_GET
@login_required
def checkout_done(request, transaction_id: int):
    """The "Payment received" page and what happens next. A payment Stripe is
    still processing is looked up first (the webhook may not have arrived yet)."""
    txn = buyer_transaction(request, transaction_id)
    if txn.status == Transaction.Status.PENDING_PAYMENT and txn.payment_id:
        # Stripe unreachable: still processing as far as we know; the page says so.
        with contextlib.suppress(ServiceUnavailable):
            transaction_payment_sync(transaction_id=txn.pk)
        txn = buyer_transaction(request, transaction_id)
    view = transaction_view_for(user=request.user, transaction=txn)
    if txn.status == Transaction.Status.PENDING_PAYMENT:
        if (
            not view.actions.pay.allowed
            or txn.payment_status == Transaction.PaymentStatus.REQUIRES_ACTION
        ):
            return redirect("payments:checkout", txn.pk)
        return render(request, "payments/checkout_processing.html", {"txn": txn})
    if txn.status not in TICKET_HELD_STATUSES:
        messages.warning(request, _("This purchase was not paid."))
        return redirect("payments:transaction", txn.pk)
    context = {
        "txn": txn,
        "event": txn.listing.ticket.event,
        "ticket": txn.listing.ticket,
        "breakdown": transaction_breakdown(txn),
        "auto_confirm_at": view.deadlines.auto_confirm_at,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
        "dispute_window_hours": settings.DISPUTE_WINDOW_HOURS,
    }
    return render(request, "payments/checkout_done.html", context)
