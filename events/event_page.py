"""The event page's shared parts, built once per change and served from the cache.

When a popular event's tickets appear, thousands of fans reload its page at
once. What every viewer sees the same (the event with its ticket count and
lowest price, the "When and where" panel, and each page of its tickets with
their fee breakdowns) is rendered once and stored with the event's version
token (marketplace/core/versions.py). A sale, a new listing, a price change
or a withdrawal replaces the token when its transaction commits, so the very
next request renders them again: the page never shows a ticket that has been
taken, however many fans reload it. The viewer's own parts (the header, the
waiting list panel, the organizer's Edit button) are rendered for each request
around them (events.views.event_detail).

A hit costs one cache round trip for the first page of tickets (the event, the
version and the page are read together) and two for another page. A visitor
(not logged in, no message waiting for them) sees nothing of their own, so
the whole page they are sent is stored too, under the same tokens and the
waiting list's: their hit renders nothing at all. Answers
also expire after EVENT_PAGE_SECONDS whatever happens, for what changes without
a listing changing (a seller's public name or badges). The number of fans
waiting is cached the same way, under the waiting list's own version token
(a fan joins or leaves).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from listings.forms_waitlist import WaitlistJoinForm
from listings.pricing import fee_breakdown_for_listing
from listings.selectors import listing_list_for_event
from listings.waitlist.selectors import waitlist_count
from marketplace.core import metrics
from marketplace.core.ids import as_id
from marketplace.core.pagination import BoundedPaginator
from marketplace.core.versions import (
    PREFIX,
    event_scope,
    stamped,
    versioned,
    versions,
    waitlist_scope,
)

from .models import Event
from .selectors import event_get_with_summary

# An event's tickets, cheapest first, this many to a page.
LISTINGS_PER_EVENT_PAGE = 50
EVENT_PAGE_SECONDS = 5 * 60
# Stands for the viewer's CSRF token in a form rendered once for every fan.
CSRF_MARK = "encore-csrf-token-here"


@dataclass(frozen=True)
class TicketsPart:
    """One page of the event's tickets, rendered: the page number it shows,
    whether it has any ticket, and its HTML (the table and its page links)."""

    number: int
    has_rows: bool
    html: str


def _event_key(pk: int) -> str:
    return f"event-page:{pk}:event"


def _tickets_key(pk: int, number: int, on_sale: bool) -> str:
    # Rendered parts are in the reader's language (and its money form).
    return f"event-page:{pk}:tickets:{number}:{int(on_sale)}:{get_language()}"


def _waiting_key(pk: int) -> str:
    return f"event-page:{pk}:waiting"


def _visitor_key(pk: int, number: int, on_sale: bool) -> str:
    return f"event-page:{pk}:visitor:{number}:{int(on_sale)}:{get_language()}"


def _page_number(raw) -> int:
    number = as_id(raw)
    return number if number is not None else 1


class EventPage:
    """The shared parts of one event's page, read through the cache."""

    def __init__(self, *, event_id, page=None):
        self.pk = as_id(event_id)
        self._asked_page = _page_number(page)
        self._found: dict = {}
        self.version = ""

    def event(self) -> Event | None:
        """The event with listing_count and lowest_price (None: no such event).
        Reads the event, its version, the first asked page of tickets and the
        waiting count together."""
        if self.pk is None:
            return None
        version_key = PREFIX + event_scope(self.pk)
        keys = [
            version_key,
            PREFIX + waitlist_scope(self.pk),
            _event_key(self.pk),
            _waiting_key(self.pk),
            _tickets_key(self.pk, self._asked_page, True),
            _visitor_key(self.pk, self._asked_page, True),
        ]
        self._found = cache.get_many(keys)
        self.version = (
            self._found.get(version_key) or versions(event_scope(self.pk))[event_scope(self.pk)]
        )
        event = stamped(self._found.get(_event_key(self.pk)), self.version)
        metrics.cache_answer_counted("event", hit=event is not None)
        if event is None:
            event = event_get_with_summary(event_id=self.pk)
            if event is not None:
                cache.set(_event_key(self.pk), (self.version, event), EVENT_PAGE_SECONDS)
        return event

    def waiting_count(self) -> int:
        """How many fans wait, cached until one joins or leaves."""
        scope = waitlist_scope(self.pk)
        version = self._found.get(PREFIX + scope)
        count = stamped(self._found.get(_waiting_key(self.pk)), version) if version else None
        if count is None:
            count = versioned(
                _waiting_key(self.pk),
                scope,
                lambda: waitlist_count(event_id=self.pk),
                timeout=EVENT_PAGE_SECONDS,
            )
        return count

    def _visitor_stamp(self) -> str:
        scope = waitlist_scope(self.pk)
        waiting = self._found.get(PREFIX + scope) or versions(scope)[scope]
        return f"{self.version}:{waiting}"

    def visitor_page(self, *, on_sale: bool) -> bytes | None:
        """The whole page as a visitor (not logged in, no message waiting) sees
        it, if it was stored since the last change of the event, its tickets or
        its waiting list."""
        key = _visitor_key(self.pk, self._asked_page, on_sale)
        stored = self._found[key] if key in self._found else cache.get(key)
        page = stamped(stored, self._visitor_stamp())
        metrics.cache_answer_counted("event_visitor_page", hit=page is not None)
        return page

    def visitor_page_keep(self, *, on_sale: bool, content: bytes) -> None:
        key = _visitor_key(self.pk, self._asked_page, on_sale)
        cache.set(key, (self._visitor_stamp(), content), EVENT_PAGE_SECONDS)

    def tickets(self, *, event: Event, on_sale: bool) -> TicketsPart:
        """The asked page of the event's tickets (the last one past the end)."""
        # The page number from the event's count alone: the listings are read
        # only when the page is built.
        pages = BoundedPaginator([], LISTINGS_PER_EVENT_PAGE, count=event.listing_count)
        number = pages.validate_number(min(self._asked_page, pages.num_pages))
        key = _tickets_key(self.pk, number, on_sale)
        part = stamped(self._found.get(key), self.version)
        if part is None and key not in self._found:
            part = stamped(cache.get(key), self.version)
        metrics.cache_answer_counted("event_tickets", hit=part is not None)
        if part is None:
            paginator = BoundedPaginator(
                listing_list_for_event(event=event),
                LISTINGS_PER_EVENT_PAGE,
                count=event.listing_count,
            )
            page = paginator.page(number)
            rows = [(listing, fee_breakdown_for_listing(listing)) for listing in page]
            html = render_to_string(
                "events/_tickets.html",
                {"event": event, "rows": rows, "page": page, "on_sale": on_sale},
            )
            part = TicketsPart(number=number, has_rows=bool(rows), html=html)
            cache.set(key, (self.version, part), EVENT_PAGE_SECONDS)
        return part


def join_form_html(request, *, event: Event) -> SafeString:
    """The waiting list's join form as a fan who never joined sees it: the same
    for every such fan of the event but for the CSRF token (and a note when
    their email is not confirmed), so it is rendered once and the viewer's own
    token put in. It holds nothing that changes with the data."""
    verified = int(bool(request.user.email_verified))
    key = f"event-page:{event.pk}:join-form:{event.currency}:{verified}:{get_language()}"
    html = cache.get(key)
    if html is None:
        form = WaitlistJoinForm(initial=WaitlistJoinForm.initial_for(None), currency=event.currency)
        context = {"form": form, "event": event, "user": request.user, "entry": None}
        html = str(
            render_to_string(
                "listings/waitlist/_join_form.html", {**context, "csrf_token": CSRF_MARK}
            )
        )
        cache.set(key, html, EVENT_PAGE_SECONDS)
    return mark_safe(html.replace(CSRF_MARK, get_token(request)))  # noqa: S308 (our template)
