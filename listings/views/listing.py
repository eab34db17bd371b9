"""The listing page, and the sell pages: pick an event, upload and price a ticket,
manage listings.

Thin views (STYLE.md, 2): a form checks the shape, a service or selector does
the work, and a DomainError becomes a form error on its details' field (or a
page message). Prices are always checked by the listing services, never here;
what a page says about a price comes from listings.price_quote. A
domain error a view has nothing particular to say about (NotFound: 404) is
answered by marketplace.page_errors.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import get_usage

from accounts.traders import seller_kind
from events.selectors import (
    event_get_visible,
    event_is_on_sale,
    event_sale_state,
    event_search,
)
from events.zones import event_clock
from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError, RateLimitExceeded
from marketplace.core.forms import form_error_from
from marketplace.core.money import money_display, money_str
from marketplace.core.pagination import BoundedPaginator
from payments.models import Transaction
from payments.selectors import payout_account_status, transaction_list_for_user
from tickets.selectors import (
    ticket_get_for_owner,
    ticket_review_reasons_text,
    ticket_unlistable_reason,
)

from ..forms import (
    EventSearchForm,
    ListingPriceForm,
    ListingReportAppealForm,
    ListingReportForm,
    PriceRangeQuery,
    TicketSellForm,
)
from ..models import Listing, WaitlistOffer
from ..price_quote import PriceQuote, price_quote
from ..pricing import fee_breakdown_for_listing, resale_rule_for
from ..reports import listing_report_appeal, listing_report_appealable, listing_report_create
from ..selectors import (
    ListingLookup,
    listing_get_visible,
    listing_list_for_seller,
    listing_list_others_on_sale,
    listing_report_get_for_seller,
    listing_reports_decided_for_seller,
)
from ..services import (
    TicketSale,
    listing_cancel,
    listing_create,
    listing_update_price,
    ticket_upload_and_list,
)
from ..waitlist.offers import listing_lookup_current
from ..waitlist.selectors import listing_hold, listing_holds, waitlist_count

EVENTS_PER_PAGE = 12
LISTINGS_PER_PAGE = 20
# The price the sell page could not list at, for the "list this ticket" page to
# show once on its price field after the redirect: {ticket_id, price, reason}.
REFUSED_PRICE_SESSION_KEY = "listings.refused_price"


def _page(request, items, per_page: int, number=None):
    number = number if number is not None else request.GET.get("page")
    return BoundedPaginator(items, per_page).get_page(number)


# --- the listing page -------------------------------------------------------------


def listing_detail(request, listing_id: int):
    """A ticket on sale: the ticket, its seller, the fee breakdown, and the buy button.
    A listing no longer on sale answers the page that says so (_listing_gone); its
    seller and staff still see it here, whatever its status, and so does the fan
    the waiting list holds it for, with the time it is theirs until and Buy."""
    # Held for the waiting list past its time: the ticket goes to the next fan (or
    # on sale) now, before the page says who may buy it.
    lookup = listing_lookup_current(user=request.user, listing_id=listing_id)
    if lookup.gone is not None:
        return _listing_gone(request, lookup)
    listing = lookup.listing
    event = listing.ticket.event
    user = request.user
    held_for_viewer = lookup.offer is not None
    return render(
        request,
        "listings/detail.html",
        {
            "listing": listing,
            "ticket": listing.ticket,
            "event": event,
            "breakdown": fee_breakdown_for_listing(listing),
            "is_seller": user.is_authenticated and listing.seller_id == user.pk,
            "buyable": (listing.status == listing.Status.ACTIVE or held_for_viewer)
            and event_is_on_sale(event=event),
            "held_offer": lookup.offer,
            "held_until": event_clock(lookup.offer.expires_at, event=event)
            if held_for_viewer
            else "",
            "reservation_minutes": settings.RESERVATION_MINUTES,
            "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
            "seller_kind": seller_kind(seller=listing.seller),
        },
    )


def _own_reservation_id(user, listing: Listing) -> int | None:
    """The viewer's own unpaid reservation of `listing`, to send them back to paying."""
    if not user.is_authenticated:
        return None
    return (
        transaction_list_for_user(
            user=user, role="buyer", status=Transaction.Status.PENDING_PAYMENT
        )
        .filter(listing_id=listing.pk)
        .values_list("pk", flat=True)
        .first()
    )


def _listing_gone(request, lookup: ListingLookup):
    """An old or shared link to a listing no longer on sale: what happened to it, its
    event, and what the fan can do instead (the event's other tickets, its waiting
    list), or that the event itself is over or cancelled. 410 for a listing gone for
    good (sold, withdrawn, ended); 200 for a reserved one, which may come back."""
    listing = lookup.listing
    event = listing.ticket.event
    now = timezone.now()
    event_state = event_sale_state(event=event, now=now)
    others = []
    if event_state == "on_sale":
        others = listing_list_others_on_sale(listing=listing, now=now)
    reservation_id = None
    if lookup.gone == "reserved":
        reservation_id = _own_reservation_id(request.user, listing)
    return render(
        request,
        "listings/gone.html",
        {
            "lookup": lookup,
            "listing": listing,
            "event": event,
            "event_state": event_state,
            "others": others,
            "reservation_id": reservation_id,
        },
        status=410 if lookup.is_final else 200,
    )


# --- reporting a listing (notice and action) ------------------------------------------


def _report_key(group, request):
    user = request.user
    return f"user:{user.pk}" if user.is_authenticated else client_ip(request) or "unknown"


def _report_rate_check(request) -> None:
    """Reports are limited like the API's calls (RATELIMIT_API per user, or per
    address for visitors): a flood of notices is refused, not queued for staff."""
    usage = get_usage(
        request,
        group="listings.report",
        key=_report_key,
        rate=settings.RATELIMIT_API,
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimitExceeded(retry_after=usage["time_left"])


@require_http_methods(["GET", "POST"])
def listing_report(request, listing_id: int):
    """Report a listing to Encore's staff (anyone; a visitor leaves an email address)."""
    listing = listing_get_visible(user=request.user, listing_id=listing_id)
    logged_in = request.user.is_authenticated
    form = ListingReportForm(request.POST or None, logged_in=logged_in)
    if request.method == "POST" and form.is_valid():
        _report_rate_check(request)
        try:
            listing_report_create(
                reporter=request.user if logged_in else None,
                listing=listing,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                email=form.cleaned_data.get("email", ""),
                ip_address=client_ip(request),
            )
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Thank you: your report has reached Encore's staff. We email you our "
                    "decision and its reasons."
                ),
            )
            return redirect("listings:detail", listing_id=listing.pk)
    return render(
        request,
        "listings/report.html",
        {"listing": listing, "event": listing.ticket.event, "form": form},
    )


@login_required
@require_POST
def listing_report_appeal_view(request, report_id: int):
    """The seller appeals a decision against their listing, once."""
    report = listing_report_get_for_seller(seller=request.user, report_id=report_id)
    form = ListingReportAppealForm(request.POST, prefix=f"appeal-{report.pk}")
    if not form.is_valid():
        messages.error(
            request,
            _("Write why the decision is wrong (at most %(limit)d characters).") % {"limit": 2000},
        )
        return _back_to_my_listings(request)
    try:
        listing_report_appeal(
            seller=request.user,
            report=report,
            text=form.cleaned_data["text"],
            ip_address=client_ip(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Your appeal has been sent. Another member of Encore's staff will decide it "
                "and email you the outcome."
            ),
        )
    return _back_to_my_listings(request)


# --- error mapping ----------------------------------------------------------------


def _add_domain_error(form, exc: DomainError, *, quote: PriceQuote | None = None) -> None:
    """Put a service's refusal on the field it names, else at the top of the form; a
    refused price in the seller's words, with the limit of `quote` that applies."""
    message = None
    if exc.details.get("field") == "price" and quote is not None:
        message = quote.refusal_text(exc.details.get("reason"))
    if exc.details.get("field") == "tier_id" and "tier" in form.fields:
        form.add_error("tier", message or exc.message)
        return
    form_error_from(form, exc, message=message)


# --- the live price range -----------------------------------------------------------


def _quote_for_form(form, *, event, face_value, original_fees=0) -> PriceQuote | None:
    """The range shown when the page is drawn, for `face_value` (and `original_fees`)
    and the form's price (None without a valid face value)."""
    query = PriceRangeQuery(
        {
            "face_value": face_value if face_value is not None else "",
            "price": form["price"].value() if form.is_bound else "",
        }
    )
    if not query.is_valid() and "face_value" in query.errors:
        return None
    return price_quote(
        event=event,
        face_value=query.cleaned_data["face_value"],
        price=query.cleaned_data.get("price"),
        original_fees=original_fees,
    )


def _rules(event) -> dict:
    """The fair-price rules shown next to the sell forms, for this event (rates: the
    template writes them with the `percent` filter)."""
    rule = resale_rule_for(event)
    return {
        "rule": rule,
        "cap": rule.markup,
        "floor": settings.PRICE_FLOOR_RATE,
        "resale_limit": event.primary_purchase_limit,
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
    }


@require_GET
def price_range(request, event_id: int):
    """JSON for sell.js: the allowed range and the payout for ?face_value=&price=."""
    event = event_get_visible(user=request.user, event_id=event_id)
    query = PriceRangeQuery(request.GET)
    if not query.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in query.errors.items()}
        if "face_value" in errors:
            return JsonResponse(
                {
                    "errors": errors,
                    "range_text": _("Enter the face value to see the allowed range."),
                },
                status=400,
            )
    quote = price_quote(
        event=event,
        face_value=query.cleaned_data["face_value"],
        price=query.cleaned_data.get("price"),
        original_fees=query.cleaned_data.get("fees") or 0,
    )
    return JsonResponse(quote.as_dict())


# --- 1. pick the event ----------------------------------------------------------------


@require_GET
def sell(request):
    """Sell a ticket: find the event (anyone may search; selling needs an account)."""
    form = EventSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    page = _page(request, event_search(q=q), EVENTS_PER_PAGE)
    return render(request, "listings/sell.html", {"form": form, "q": q, "page": page})


# --- 2. upload and price ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sell_event(request, event_id: int):
    """Upload a ticket for the event and list it: one form, one service
    (listings.services.ticket_upload_and_list).

    If the upload succeeds but the listing is refused (a price over the cap),
    the ticket stays uploaded and available, and the seller fixes the price on
    the "list this ticket" page, with the error shown on the price field.
    """
    event = event_get_visible(user=request.user, event_id=event_id)
    on_sale = event_is_on_sale(event=event)
    tiers = list(event.price_tiers.all())
    if request.method == "POST":
        form = TicketSellForm(request.POST, request.FILES, currency=event.currency, tiers=tiers)
    else:
        form = TicketSellForm(currency=event.currency, tiers=tiers)
    if form.is_bound and on_sale and form.is_valid():
        try:
            sale = ticket_upload_and_list(
                seller=request.user,
                event=event,
                price=form.cleaned_data["price"],
                ip_address=client_ip(request),
                **form.upload_data(),
            )
        except DomainError as exc:  # the upload is refused: nothing is stored
            _add_domain_error(form, exc)
        else:
            return _after_sale(request, sale, price=form.cleaned_data["price"])
    context = {
        "event": event,
        "on_sale": on_sale,
        "form": form,
        "quote": _quote_for_form(
            form,
            event=event,
            face_value=form.face_value_shown(),
            original_fees=form.original_fees_shown(),
        ),
        "rules": _rules(event),
        "payout_account": payout_account_status(user=request.user),
        # Fans waiting get the ticket first (listings.waitlist): the seller is told.
        "waitlist_count": waitlist_count(event_id=event.pk) if on_sale else 0,
    }
    return render(request, "listings/sell_event.html", context)


def _after_sale(request, sale: TicketSale, *, price):
    """Where the sell page goes once the ticket is uploaded, listed or not."""
    ticket, event = sale.ticket, sale.ticket.event
    if sale.in_review:
        # What the file cannot prove waits for staff; the ticket is kept.
        messages.info(
            request,
            _(
                "Your ticket for %(event)s is uploaded, but not on sale yet: %(reasons)s, so "
                "Encore's staff check it first. You can list it from My tickets once it is "
                "approved."
            )
            % {"event": event.name, "reasons": ticket_review_reasons_text(ticket=ticket)},
        )
        return redirect("tickets:mine")
    if sale.refusal is not None:
        reason = sale.refusal.details.get("reason")
        quote = price_quote(
            event=event, face_value=ticket.face_value, original_fees=ticket.original_fees
        )
        if sale.refusal.details.get("field") == "price" and quote.refusal_text(reason):
            # Shown once by list_ticket, on the price field.
            request.session[REFUSED_PRICE_SESSION_KEY] = {
                "ticket_id": ticket.pk,
                "price": money_str(price),
                "reason": reason,
            }
            messages.warning(
                request,
                _("Your ticket is uploaded but not on sale yet: please fix the price below."),
            )
        else:
            messages.warning(
                request,
                _("Your ticket is uploaded but not on sale yet: %(reason)s")
                % {"reason": sale.refusal.message},
            )
        return redirect("listings:list-ticket", ticket_id=ticket.pk)
    messages.success(request, _listed_message(sale.listing, event=event, price=price))
    return redirect("listings:mine")


def _listed_message(listing: Listing, *, event, price) -> str:
    """What the seller is told once their ticket is listed: on sale, or held for
    the waiting list (listings.waitlist.offers) and offered to its first fan."""
    words = {"event": event.name, "price": money_display(price, event.currency)}
    if listing_hold(listing_id=listing.pk) is not None:
        return (
            _(
                "Your ticket for %(event)s is listed at %(price)s. It is being offered to "
                "the first fan on the waiting list; if no fan takes it, it goes on sale to "
                "everyone."
            )
            % words
        )
    return _("Your ticket for %(event)s is on sale at %(price)s.") % words


def _refused_price_form(request, *, ticket, quote: PriceQuote) -> ListingPriceForm:
    """The price form of list_ticket: with the price the sell page could not list at,
    and why, the first time the page is shown after it; else empty."""
    refused = request.session.get(REFUSED_PRICE_SESSION_KEY)
    if not refused or refused.get("ticket_id") != ticket.pk:
        return ListingPriceForm()
    del request.session[REFUSED_PRICE_SESSION_KEY]
    form = ListingPriceForm({"price": refused.get("price", "")})
    form.is_valid()
    # (A session saved before this release carries the message itself.)
    message = quote.refusal_text(refused.get("reason")) or refused.get("message")
    if message:
        form.add_error("price", message)
    return form


@login_required
@require_http_methods(["GET", "POST"])
def list_ticket(request, ticket_id: int):
    """Put one of my uploaded tickets on sale (or fix the price the sell page refused)."""
    ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
    event = ticket.event
    unlistable_reason = ticket_unlistable_reason(ticket=ticket)
    # The limits for this ticket, for a refused price's message.
    limits_quote = price_quote(
        event=event, face_value=ticket.face_value, original_fees=ticket.original_fees
    )
    if request.method == "POST":
        form = ListingPriceForm(request.POST)
        if unlistable_reason is None and form.is_valid():
            try:
                listing = listing_create(
                    seller=request.user,
                    ticket=ticket,
                    price=form.cleaned_data["price"],
                    ip_address=client_ip(request),
                )
            except DomainError as exc:
                _add_domain_error(form, exc, quote=limits_quote)
            else:
                messages.success(
                    request,
                    _listed_message(listing, event=event, price=form.cleaned_data["price"]),
                )
                return redirect("listings:mine")
    else:
        form = _refused_price_form(request, ticket=ticket, quote=limits_quote)
    context = {
        "ticket": ticket,
        "event": event,
        "listable": unlistable_reason is None,
        "unlistable_reason": unlistable_reason,
        "review_reasons": ticket_review_reasons_text(ticket=ticket),
        "form": form,
        "quote": _quote_for_form(
            form, event=event, face_value=ticket.face_value, original_fees=ticket.original_fees
        ),
        "rules": _rules(event),
        "payout_account": payout_account_status(user=request.user),
    }
    return render(request, "listings/list_ticket.html", context)


# --- 3. my listings ---------------------------------------------------------------------


def _price_form(listing: Listing, data=None) -> ListingPriceForm:
    # A prefix per listing: every row's field has its own id and label.
    return ListingPriceForm(data, prefix=f"listing-{listing.pk}", initial={"price": listing.price})


def _waitlist_holds(listings) -> dict[int, str]:
    """What My listings says of each listing held for the waiting list (pending
    with a held or open offer) instead of "Reserved": one query for the page's
    pending listings, none when it has none."""
    pending = {
        listing.pk: listing for listing in listings if listing.status == Listing.Status.PENDING
    }
    if not pending:
        return {}
    labels = {}
    for listing_id, offer in listing_holds(listing_ids=pending).items():
        if offer.state == WaitlistOffer.State.OPEN:
            event = pending[listing_id].ticket.event
            labels[listing_id] = _("Offered to a fan on the waiting list until %(time)s") % {
                "time": event_clock(offer.expires_at, event=event)
            }
        else:
            labels[listing_id] = _("Held for the waiting list")
    return labels


def _my_listings_page(request, *, page_number=None, bound: tuple | None = None):
    """My listings, one page; `bound` = (listing id, form with errors) after a refused change."""
    page = BoundedPaginator(
        listing_list_for_seller(seller=request.user), LISTINGS_PER_PAGE
    ).get_page(page_number if page_number is not None else request.GET.get("page"))
    decisions = listing_reports_decided_for_seller(
        seller=request.user, listing_ids=[listing.pk for listing in page]
    )
    holds = _waitlist_holds(page)
    rows = []
    for listing in page:
        event = listing.ticket.event
        active = listing.status == Listing.Status.ACTIVE
        form = None
        if active:
            form = bound[1] if bound and bound[0] == listing.pk else _price_form(listing)
        rows.append(
            {
                "listing": listing,
                "event": event,
                "breakdown": fee_breakdown_for_listing(listing),
                "form": form,
                "waitlist": holds.get(listing.pk),
                "reports": [
                    {
                        "report": report,
                        "appeal_form": ListingReportAppealForm(prefix=f"appeal-{report.pk}")
                        if listing_report_appealable(report)
                        else None,
                    }
                    for report in decisions.get(listing.pk, [])
                ],
            }
        )
    if bound and not any(row["listing"].pk == bound[0] for row in rows):
        for error in bound[1].errors.get("price", []):
            messages.error(request, error)
    context = {
        "page": page,
        "rows": rows,
        "payout_account": payout_account_status(user=request.user),
    }
    return render(request, "listings/mine.html", context)


@login_required
@require_GET
def my_listings(request):
    return _my_listings_page(request)


def _my_listing_or_404(request, listing_id: int) -> Listing:
    """The user's own listing; anyone else's (even an active one) is 404 here."""
    listing = listing_get_visible(user=request.user, listing_id=listing_id)
    if listing.seller_id != request.user.pk:
        raise Http404("Listing not found.")
    return listing


def _back_to_my_listings(request):
    page = request.POST.get("page", "")
    url = reverse("listings:mine")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
@require_POST
def listing_price(request, listing_id: int):
    """Change the price of one of my active listings; a refused price shows on its field."""
    listing = _my_listing_or_404(request, listing_id)
    form = _price_form(listing, request.POST)
    if form.is_valid():
        try:
            listing_update_price(
                seller=request.user,
                listing=listing,
                price=form.cleaned_data["price"],
                ip_address=client_ip(request),
            )
        except DomainError as exc:
            if exc.details.get("field") != "price":
                messages.error(request, exc.message)
                return _back_to_my_listings(request)
            ticket = listing.ticket
            quote = price_quote(
                event=ticket.event,
                face_value=ticket.face_value,
                original_fees=ticket.original_fees,
            )
            _add_domain_error(form, exc, quote=quote)
        else:
            messages.success(
                request,
                _("The price is now %(price)s.")
                % {"price": money_display(listing.price, listing.ticket.event.currency)},
            )
            return _back_to_my_listings(request)
    return _my_listings_page(
        request, page_number=request.POST.get("page"), bound=(listing.pk, form)
    )


@login_required
@require_POST
def listing_cancel_view(request, listing_id: int):
    """Take one of my listings off sale (not while a buyer is paying)."""
    listing = _my_listing_or_404(request, listing_id)
    try:
        listing_cancel(actor=request.user, listing=listing, ip_address=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Your ticket for %(event)s is no longer on sale. You can list it again from "
                "My tickets."
            )
            % {"event": listing.ticket.event.name},
        )
    return _back_to_my_listings(request)
