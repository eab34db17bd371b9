"""The catalogue (home, events list, event page, how Encore protects you) and the
organizers' pages. Each view validates its input with a form, makes one selector
or service call, and renders; a domain error it has nothing particular to say
about (NotFound: 404, PermissionDenied: 403) is answered by
marketplace.page_errors. A listing's page is listings.views.listing_detail."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.selectors import user_can_organize
from listings.forms_waitlist import WaitlistJoinForm
from listings.pricing import fee_breakdown, price_limits
from listings.waitlist.selectors import (
    fan_live_offers,
    raffle_state,
    waitlist_count,
    waitlist_entry_for,
    waitlist_place,
    waitlist_raffle_latest,
)
from listings.waitlist.windows import offer_window_bands
from marketplace.core.client_ip import client_ip
from marketplace.core.countries import country_name
from marketplace.core.errors import ValidationFailed
from marketplace.core.forms import form_error_from
from marketplace.core.money import to_decimal
from marketplace.core.pagination import BoundedPaginator

from .cache import UPCOMING_CACHE_SECONDS, event_list_upcoming_cached, upcoming_version
from .event_page import EventPage, join_form_html
from .forms import EventFilterForm, EventForm, tier_formset
from .models import Event
from .selectors import (
    event_can_edit,
    event_check_visible,
    event_get_visible,
    event_is_on_sale,
    event_list_for_organizer,
    event_search,
)
from .services import event_create, event_update
from .structured import event_share
from .zones import event_clock

HOME_EVENT_COUNT = 24
EVENTS_PER_PAGE = 24


def home(request):
    # The grid is a cached fragment (templates/events/home.html): the events are
    # read, by calling `upcoming`, only when it is not in the cache.
    return render(
        request,
        "events/home.html",
        {
            "upcoming": partial(event_list_upcoming_cached, limit=HOME_EVENT_COUNT),
            "upcoming_version": upcoming_version(),
            "upcoming_seconds": UPCOMING_CACHE_SECONDS,
        },
    )


def event_list(request):
    form = EventFilterForm(request.GET or None)
    page = None
    # Bad filters are said next to their field; no list is guessed at.
    if not form.is_bound or form.is_valid():
        try:
            events = event_search(**(form.search_kwargs() if form.is_bound else {}))
        except ValidationFailed as exc:  # a date range the wrong way round
            form_error_from(form, exc)
        else:
            page = BoundedPaginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "events/list.html",
        {
            "form": form,
            "page": page,
            "page_range": (
                page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
                if page
                else []
            ),
            "filtered": any(request.GET.get(name) for name in EventFilterForm.base_fields),
        },
    )


def event_detail(request, event_id: int):
    # What every viewer sees the same comes from the cache (events/event_page.py);
    # only the viewer's own parts are built here.
    shared = EventPage(event_id=event_id, page=request.GET.get("page"))
    event = event_check_visible(user=request.user, event=shared.event())
    on_sale = event_is_on_sale(event=event)
    visitor = _plain_visitor(request)
    if visitor and (content := shared.visitor_page(on_sale=on_sale)) is not None:
        return HttpResponse(content)
    response = render(
        request,
        "events/detail.html",
        {
            "event": event,
            "tickets": shared.tickets(event=event, on_sale=on_sale),
            "on_sale": on_sale,
            "can_edit": event_can_edit(user=request.user, event=event),
            "share": event_share(event, site_url=settings.SITE_URL),
            "waitlist": _waitlist_section(request, event, on_sale=on_sale, shared=shared),
        },
    )
    if visitor:
        shared.visitor_page_keep(on_sale=on_sale, content=response.content)
    return response


def _plain_visitor(request) -> bool:
    """Not logged in, with no session and no message waiting: the event page
    holds nothing of theirs (no form, so no CSRF token), and any such visitor
    may be sent the same bytes."""
    return (
        not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _waitlist_section(request, event, *, on_sale: bool, shared: EventPage) -> dict:
    """The event page's waiting list: how many fans wait, and the viewer's own
    standing (place in line or raffle, open offers) or the join form. A constant
    number of queries: none for a visitor (the count is cached), 1 for a fan not on
    the list, 3 for one on it."""
    user = request.user
    section = {"open": on_sale}
    if not on_sale:
        return section
    join_url = reverse("listings:waitlist-join", args=[event.pk])
    section |= {"count": shared.waiting_count(), "join_url": join_url}
    if not user.is_authenticated:
        return section
    entry = waitlist_entry_for(fan=user, event_id=event.pk)
    if entry is None:
        section["form_html"] = join_form_html(request, event=event)
        return section
    if entry.state != entry.State.WAITING:
        initial = WaitlistJoinForm.initial_for(entry)
        section["form"] = WaitlistJoinForm(initial=initial, currency=event.currency)
        return section
    now = timezone.now()
    section |= {
        "entry": entry,
        "type_label": WaitlistJoinForm.ticket_type_label(entry.ticket_type),
        "place": waitlist_place(entry=entry),
        "offers": [
            {"pk": offer.pk, "ends": event_clock(offer.expires_at, event=event)}
            for offer in fan_live_offers(fan_id=user.pk, event_id=event.pk, now=now)
        ],
    }
    if section["place"] is None and entry.raffle_id:
        raffle = entry.raffle
        section["raffle_draw"] = event_clock(raffle.closes_at, event=event)
    return section


# An example face value for the caps table of "How Encore protects you".
EXAMPLE_FACE_VALUE = 50


_DAY = 86400
_DURATION_UNITS = (
    (_DAY, lambda n: ngettext("%(count)s day", "%(count)s days", n)),
    (3600, lambda n: ngettext("%(count)s hour", "%(count)s hours", n)),
    (60, lambda n: ngettext("%(count)s minute", "%(count)s minutes", n)),
)


def _duration(seconds: int) -> str:
    """A time before the start as a fan reads it: "7 days", "24 hours"."""
    for size, words in _DURATION_UNITS:
        count, rest = divmod(seconds, size)
        # One day reads better as 24 hours ("in the last 24 hours").
        if not rest and count and (size != _DAY or count > 1):
            return words(count) % {"count": count}
    return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}


def _offer_windows() -> list[dict]:
    """WAITLIST_OFFER_WINDOWS in words, farthest from the start first, read as
    listings.waitlist.windows.offer_window reads them: the first window whose
    time before the start is reached applies; the last one covers the rest."""
    windows = offer_window_bands()
    described, upper = [], None
    for index, (seconds, minutes) in enumerate(windows):
        covers_the_rest = index == len(windows) - 1 or seconds <= 0
        lower = None if covers_the_rest else _duration(seconds)
        if upper is None and lower is None:
            when = _("whatever the time before the start")
        elif upper is None:
            when = _("when the event is %(time)s or more away") % {"time": lower}
        elif lower is None:
            when = _("in the last %(time)s before the start") % {"time": upper}
        else:
            when = _("from %(lower)s to %(upper)s before the start") % {
                "lower": lower,
                "upper": upper,
            }
        described.append({"minutes": minutes, "when": when})
        if covers_the_rest:
            break
        upper = lower
    return described


def _offer_windows_text(windows: list[dict]) -> SafeString:
    """The offer windows as one phrase of the page's sentence: "<strong>30
    minutes</strong> when the event is 7 days or more away, ... and ..."."""
    phrases = [
        format_html(
            "<strong>{}</strong> {}",
            ngettext("%(count)s minute", "%(count)s minutes", window["minutes"])
            % {"count": window["minutes"]},
            window["when"],
        )
        for window in windows
    ]
    # Each phrase is escaped already; the list's words are Django's own translations.
    return mark_safe(get_text_list(phrases, _("and")))  # noqa: S308


def _waitlist_rules() -> dict:
    """The waiting list's rules as the "How Encore protects you" page states them,
    from the settings the waiting list reads (no query)."""
    quiet_from, quiet_until = (int(hour) for hour in settings.WAITLIST_QUIET_HOURS)
    windows = _offer_windows()
    return {
        "windows": windows,
        "windows_text": _offer_windows_text(windows),
        "quiet_from": f"{quiet_from:02d}:00",
        "quiet_until": f"{quiet_until:02d}:00",
        "quiet_until_start_hours": settings.WAITLIST_QUIET_HOURS_UNTIL_START_HOURS,
        "lapses_to_back": settings.WAITLIST_LAPSES_TO_BACK,
        "raffle_max_minutes": settings.WAITLIST_RAFFLE_MAX_MINUTES,
    }


def how_it_works(request):
    labels = dict(Event.Category.choices)
    caps = [
        {
            "category": labels.get(category, category.title()),
            "limits": price_limits(face_value=EXAMPLE_FACE_VALUE, category=category),
        }
        for category in settings.PRICE_MARKUP_CAPS
    ]
    country_caps = [
        {
            "country": country_name(country),
            # "*" is the country's rule for every category.
            "rules": [
                (labels.get(category, _("Every other category")), to_decimal(rate))
                for category, rate in overrides.items()
            ],
        }
        for country, overrides in sorted(settings.PRICE_MARKUP_CAPS_BY_COUNTRY.items())
    ]
    resale_rules = [
        {
            **rule,
            # The law's words come from the settings, translated where the catalogue has them.
            "text": _(rule["text"]),
            "designated_capacity": settings.RESALE_DESIGNATED_VENUE_CAPACITY.get(country),
        }
        for country, rule in sorted(settings.RESALE_RULES.items())
    ]
    return render(
        request,
        "events/how.html",
        {
            "caps": caps,
            "resale_rules": resale_rules,
            "primary_purchase_limit": Event._meta.get_field("primary_purchase_limit").default,
            "country_caps": country_caps,
            "example_face_value": EXAMPLE_FACE_VALUE,
            "currency": settings.DEFAULT_CURRENCY,
            "floor_rate": settings.PRICE_FLOOR_RATE,
            "fee_rate": settings.PLATFORM_FEE_RATE,
            "example_fee": fee_breakdown(
                price=EXAMPLE_FACE_VALUE,
                face_value=EXAMPLE_FACE_VALUE,
                category=Event.Category.OTHER,
            ),
            "reservation_minutes": settings.RESERVATION_MINUTES,
            "auto_confirm_hours": settings.AUTO_CONFIRM_HOURS,
            "dispute_window_hours": settings.DISPUTE_WINDOW_HOURS,
            "max_tickets_per_event": settings.MAX_TICKETS_PER_EVENT,
            "payment_attempts_max": settings.PAYMENT_ATTEMPTS_MAX,
            "payout_reminder_days": settings.PAYOUT_ACCOUNT_REMINDER_DAYS,
            "postponement_refund_days": settings.POSTPONEMENT_REFUND_DAYS,
            "waitlist": _waitlist_rules(),
        },
    )


# --- Organizers ---------------------------------------------------------------


def _require_organizer(user) -> None:
    # The same test as event_create's: organizers, admins and staff.
    if not (user_can_organize(user=user) or user.is_staff):
        raise DjangoPermissionDenied(_("Only organizers can manage events."))


@login_required
def event_manage(request):
    _require_organizer(request.user)
    events = event_list_for_organizer(organizer=request.user)
    return render(request, "events/manage.html", {"events": events})


def _tier_list(request, event=None):
    """(formset, valid, tiers, rows): the price list on the page. A form posted
    without it (an older page, a script) leaves the tiers as they are (None)."""
    sent = request.method == "POST" and "tiers-TOTAL_FORMS" in request.POST
    tiers_form = tier_formset(request.POST if sent else None, event=event)
    if not sent:
        return tiers_form, True, None, []
    if not tiers_form.is_valid():
        return tiers_form, False, None, []
    tiers, rows = tiers_form.tiers()
    return tiers_form, True, tiers, rows


def _tier_error(form, tiers_form, rows, exc: ValidationFailed) -> None:
    """A refused tier on its row (details.index), else above the price list."""
    index, field = exc.details.get("index"), exc.details.get("tier_field")
    if exc.details.get("field") != "tiers":
        form_error_from(form, exc)
    elif index is not None and index < len(rows):
        row = rows[index]
        row.add_error(field if field in row.fields else None, exc.message)
    else:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request):
    _require_organizer(request.user)
    form = EventForm(
        request.POST or None,
        request.FILES or None,
        initial={"status": Event.Status.DRAFT, "country": "IE"},
    )
    tiers_form, tiers_ok, tiers, rows = _tier_list(request)
    if request.method == "POST" and form.is_valid() and tiers_ok:
        try:
            event = event_create(
                organizer=request.user,
                **form.cleaned_data,
                tiers=tiers,
                ip_address=client_ip(request),
            )
        except ValidationFailed as exc:
            _tier_error(form, tiers_form, rows, exc)
        else:
            messages.success(
                request,
                _("%(name)s was created as %(status)s.")
                % {"name": event.name, "status": event.get_status_display()},
            )
            return redirect("events:manage")
    return render(
        request, "events/event_form.html", {"form": form, "tiers_form": tiers_form, "event": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, event_id: int):
    # As the API does: someone else's draft does not exist (404), someone else's
    # published event exists but is not theirs to change (403).
    event = event_get_visible(user=request.user, event_id=event_id)
    if not event_can_edit(user=request.user, event=event):
        raise DjangoPermissionDenied(_("You can only edit your own events."))
    form = EventForm(
        request.POST or None,
        request.FILES or None,
        event=event,
        initial=EventForm.initial_for(event),
    )
    tiers_form, tiers_ok, tiers, rows = _tier_list(request, event)
    if request.method == "POST" and form.is_valid() and tiers_ok:
        try:
            event_update(
                actor=request.user,
                event=event,
                ip_address=client_ip(request),
                tiers=tiers,
                **form.cleaned_data,
            )
        except ValidationFailed as exc:
            _tier_error(form, tiers_form, rows, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": event.name})
            return redirect("events:manage")
    return render(
        request,
        "events/event_form.html",
        {
            "form": form,
            "tiers_form": tiers_form,
            "event": event,
            "waitlist": _waitlist_panel(event),
        },
    )


def _waitlist_panel(event) -> dict:
    """The waiting list on the organizer's edit page: how many fans wait, the
    event's latest raffle (open, waiting for its draw, or drawn) and whether
    the form to open one is offered. Two queries."""
    now = timezone.now()
    # The newest raffle: an undrawn one is always the newest (one opens only
    # when none is undrawn, listings.waitlist.raffles).
    raffle = waitlist_raffle_latest(event_id=event.pk)
    state = raffle_state(raffle, now=now)
    return {
        "count": waitlist_count(event_id=event.pk),
        "raffle": raffle,
        "raffle_state": state,
        "opens_at": event_clock(raffle.opens_at, event=event) if raffle else "",
        "closes_at": event_clock(raffle.closes_at, event=event) if raffle else "",
        "drawn_at": event_clock(raffle.drawn_at, event=event) if raffle and raffle.drawn_at else "",
        "can_open": event_is_on_sale(event=event, now=now) and state in (None, "drawn"),
        "on_sale": event_is_on_sale(event=event, now=now),
        "max_minutes": settings.WAITLIST_RAFFLE_MAX_MINUTES,
    }
