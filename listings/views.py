"""The sell pages: pick an event, upload and price a ticket, manage listings.

Thin views (STYLE.md, 2): a form checks the shape, a service or selector does
the work, and a DomainError becomes a form error on its details' field (or a
page message). Prices are always checked by the listing services, never here.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events.selectors import event_get_visible, event_is_on_sale, event_search
from marketplace.api.base import client_ip
from marketplace.errors import DomainError, NotFound
from marketplace.forms import form_error_from
from marketplace.money import money_str
from marketplace.pagination import BoundedPaginator
from payments.selectors import payout_account_status
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_owner, ticket_review_reasons_text
from tickets.services import ticket_upload

from .forms import EventSearchForm, ListingPriceForm, PriceRangeQuery, TicketSellForm
from .models import Listing
from .pricing import fee_breakdown, markup_cap_for, price_limits
from .selectors import listing_get_visible, listing_list_for_seller
from .services import (
    LISTABLE_TICKET_STATUSES,
    listing_cancel,
    listing_create,
    listing_update_price,
)

EVENTS_PER_PAGE = 12
LISTINGS_PER_PAGE = 20
# Where the sell page leaves a refused price for the "list this ticket" page.
REFUSED_PRICE_SESSION_KEY = "listings.refused_price"


def _percent(rate: Decimal) -> str:
    """0.2 -> "20", 0.125 -> "12.5"."""
    return f"{(rate * 100).normalize():f}"


def _page(request, items, per_page: int, number=None):
    number = number if number is not None else request.GET.get("page")
    return BoundedPaginator(items, per_page).get_page(number)


# --- error mapping ----------------------------------------------------------------


def _price_error(exc: DomainError, *, event, face_value) -> str:
    """A refused price in the seller's words, with the limit that applies."""
    reason = exc.details.get("reason")
    limits = price_limits(face_value=face_value, category=event.category, country=event.country)
    if reason == "PRICE_EXCEEDS_MAX_MARKUP":
        return (
            f"At most {money_str(limits.max_price)} {event.currency} for this ticket "
            f"(face value + {_percent(limits.markup_cap)}%)."
        )
    if reason == "PRICE_BELOW_MINIMUM":
        return (
            f"At least {money_str(limits.min_price)} {event.currency} for this ticket "
            f"({_percent(settings.PRICE_FLOOR_RATE)}% of face value)."
        )
    return exc.message


def _add_domain_error(form, exc: DomainError, *, event=None, face_value=None) -> None:
    """Put a service's refusal on the field it names, else at the top of the form."""
    message = None
    if exc.details.get("field") == "price" and event is not None and face_value is not None:
        message = _price_error(exc, event=event, face_value=face_value)
    if exc.details.get("field") == "tier_id" and "tier" in form.fields:
        form.add_error("tier", message or exc.message)
        return
    form_error_from(form, exc, message=message)


# --- the live price range -----------------------------------------------------------


def price_summary(*, event, face_value, price=None) -> dict:
    """What the live region says for a face value (and a price): the allowed range and
    the seller's payout, from the same pricing functions the services use."""
    limits = price_limits(face_value=face_value, category=event.category, country=event.country)
    currency = event.currency
    fee_percent = _percent(settings.PLATFORM_FEE_RATE)
    summary = {
        "currency": currency,
        "category": event.category,
        "face_value": money_str(face_value),
        "min_price": money_str(limits.min_price),
        "max_price": money_str(limits.max_price),
        "max_markup_percent": _percent(limits.markup_cap),
        "floor_percent": _percent(settings.PRICE_FLOOR_RATE),
        "platform_fee_percent": fee_percent,
        "price": None,
        "platform_fee": None,
        "seller_payout": None,
        "price_check": None,
        "range_text": (
            f"Allowed price: {money_str(limits.min_price)} to {money_str(limits.max_price)} "
            f"{currency} (face value + {_percent(limits.markup_cap)}% at most)."
        ),
        "payout_text": "Enter your price to see what you will receive.",
    }
    if price is None:
        return summary
    breakdown = fee_breakdown(
        price=price,
        face_value=face_value,
        category=event.category,
        country=event.country,
        currency=currency,
    )
    summary.update(
        price=money_str(breakdown.price),
        platform_fee=money_str(breakdown.platform_fee),
        seller_payout=money_str(breakdown.seller_payout),
    )
    if breakdown.price > limits.max_price:
        summary["price_check"] = "above_max"
        summary["payout_text"] = (
            f"Too high: at most {money_str(limits.max_price)} {currency} for this ticket."
        )
    elif breakdown.price < limits.min_price:
        summary["price_check"] = "below_min"
        summary["payout_text"] = (
            f"Too low: at least {money_str(limits.min_price)} {currency} for this ticket."
        )
    else:
        summary["price_check"] = "ok"
        summary["payout_text"] = (
            f"You receive {money_str(breakdown.seller_payout)} {currency} "
            f"after Encore's {fee_percent}% fee."
        )
    return summary


def _summary_for_form(form, *, event, face_value):
    """The range shown when the page is drawn, for `face_value` and the form's price
    (None without a valid face value)."""
    query = PriceRangeQuery(
        {
            "face_value": face_value if face_value is not None else "",
            "price": form["price"].value() if form.is_bound else "",
        }
    )
    if not query.is_valid() and "face_value" in query.errors:
        return None
    return price_summary(
        event=event,
        face_value=query.cleaned_data["face_value"],
        price=query.cleaned_data.get("price"),
    )


def _rules(event) -> dict:
    """The fair-price rules shown next to the sell forms, for this event."""
    return {
        "cap_percent": _percent(markup_cap_for(category=event.category, country=event.country)),
        "floor_percent": _percent(settings.PRICE_FLOOR_RATE),
        "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
    }


def _event_or_404(request, event_id):
    try:
        return event_get_visible(user=request.user, event_id=event_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def price_range(request, event_id: int):
    """JSON for sell.js: the allowed range and the payout for ?face_value=&price=."""
    event = _event_or_404(request, event_id)
    query = PriceRangeQuery(request.GET)
    if not query.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in query.errors.items()}
        if "face_value" in errors:
            return JsonResponse(
                {"errors": errors, "range_text": "Enter the face value to see the allowed range."},
                status=400,
            )
    summary = price_summary(
        event=event,
        face_value=query.cleaned_data["face_value"],
        price=query.cleaned_data.get("price"),
    )
    return JsonResponse(summary)


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
    """Upload a ticket for the event and list it: one form, two services.

    If the upload succeeds but the listing is refused (a price over the cap),
    the ticket stays uploaded and available, and the seller fixes the price on
    the "list this ticket" page, with the error shown on the price field.
    """
    event = _event_or_404(request, event_id)
    on_sale = event_is_on_sale(event=event)
    tiers = list(event.price_tiers.all())
    if request.method == "POST":
        form = TicketSellForm(request.POST, request.FILES, currency=event.currency, tiers=tiers)
    else:
        form = TicketSellForm(currency=event.currency, tiers=tiers)
    if form.is_bound and on_sale and form.is_valid():
        price = form.cleaned_data["price"]
        ip_address = client_ip(request)
        try:
            ticket = ticket_upload(
                owner=request.user, event=event, **form.upload_data(), ip_address=ip_address
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            if ticket.verification != Ticket.Verification.VERIFIED:
                # What the file cannot prove waits for staff; the ticket is kept.
                messages.info(
                    request,
                    f"Your ticket for {event.name} is uploaded, but not on sale yet: "
                    f"{ticket_review_reasons_text(ticket=ticket)}, so Encore's staff check it "
                    "first. You can list it from My tickets once it is approved.",
                )
                return redirect("tickets:mine")
            try:
                listing_create(
                    seller=request.user, ticket=ticket, price=price, ip_address=ip_address
                )
            except DomainError as exc:
                # Shown once by list_ticket, on the price field when the price was refused.
                on_price = exc.details.get("field") == "price"
                request.session[REFUSED_PRICE_SESSION_KEY] = {
                    "ticket_id": ticket.pk,
                    "price": money_str(price),
                    "field": "price" if on_price else None,
                    "message": _price_error(exc, event=event, face_value=ticket.face_value)
                    if on_price
                    else exc.message,
                }
                messages.warning(
                    request,
                    "Your ticket is uploaded but not on sale yet: "
                    + ("please fix the price below." if on_price else "see below."),
                )
                return redirect("listings:list-ticket", ticket_id=ticket.pk)
            messages.success(
                request,
                f"Your ticket for {event.name} is on sale at {money_str(price)} {event.currency}.",
            )
            return redirect("listings:mine")
    context = {
        "event": event,
        "on_sale": on_sale,
        "form": form,
        "summary": _summary_for_form(form, event=event, face_value=form.face_value_shown()),
        "rules": _rules(event),
        "payout_account": payout_account_status(user=request.user),
    }
    return render(request, "listings/sell_event.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def list_ticket(request, ticket_id: int):
    """Put one of my uploaded tickets on sale (or fix the price the sell page refused)."""
    try:
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    event = ticket.event
    listable = (
        ticket.status in LISTABLE_TICKET_STATUSES
        and ticket.verification == Ticket.Verification.VERIFIED
        and event_is_on_sale(event=event)
    )
    if request.method == "POST":
        form = ListingPriceForm(request.POST)
        if listable and form.is_valid():
            try:
                listing_create(
                    seller=request.user,
                    ticket=ticket,
                    price=form.cleaned_data["price"],
                    ip_address=client_ip(request),
                )
            except DomainError as exc:
                _add_domain_error(form, exc, event=event, face_value=ticket.face_value)
            else:
                messages.success(
                    request,
                    f"Your ticket for {event.name} is on sale at "
                    f"{money_str(form.cleaned_data['price'])} {event.currency}.",
                )
                return redirect("listings:mine")
    else:
        form = ListingPriceForm()
        refused = request.session.get(REFUSED_PRICE_SESSION_KEY)
        if refused and refused.get("ticket_id") == ticket.pk:
            del request.session[REFUSED_PRICE_SESSION_KEY]
            form = ListingPriceForm({"price": refused["price"]})
            form.is_valid()
            form.add_error(refused.get("field"), refused["message"])
    context = {
        "ticket": ticket,
        "event": event,
        "listable": listable,
        "review_reasons": ticket_review_reasons_text(ticket=ticket),
        "form": form,
        "summary": _summary_for_form(form, event=event, face_value=ticket.face_value),
        "rules": _rules(event),
        "payout_account": payout_account_status(user=request.user),
    }
    return render(request, "listings/list_ticket.html", context)


# --- 3. my listings ---------------------------------------------------------------------


def _price_form(listing: Listing, data=None) -> ListingPriceForm:
    # A prefix per listing: every row's field has its own id and label.
    return ListingPriceForm(data, prefix=f"listing-{listing.pk}", initial={"price": listing.price})


def _my_listings_page(request, *, page_number=None, bound: tuple | None = None):
    """My listings, one page; `bound` = (listing id, form with errors) after a refused change."""
    page = BoundedPaginator(
        listing_list_for_seller(seller=request.user), LISTINGS_PER_PAGE
    ).get_page(page_number if page_number is not None else request.GET.get("page"))
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
                "breakdown": fee_breakdown(
                    price=listing.price,
                    face_value=listing.ticket.face_value,
                    category=event.category,
                    country=event.country,
                    currency=event.currency,
                ),
                "form": form,
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
    try:
        listing = listing_get_visible(user=request.user, listing_id=listing_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
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
            _add_domain_error(
                form, exc, event=listing.ticket.event, face_value=listing.ticket.face_value
            )
        else:
            messages.success(
                request,
                f"The price is now {money_str(listing.price)} {listing.ticket.event.currency}.",
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
            f"Your ticket for {listing.ticket.event.name} is no longer on sale. "
            "You can list it again from My tickets.",
        )
    return _back_to_my_listings(request)
