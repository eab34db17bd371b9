"""The waiting list's pages (issue 16): joining and leaving from the event
page, My waiting lists, an offer with Buy and No thanks, and the listing page
of a ticket held for a fan."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from events.zones import event_clock
from listings.models import Listing, WaitlistEntry, WaitlistOffer
from listings.waitlist.entries import waitlist_join, waitlist_leave
from listings.waitlist.offers import waitlist_offer_decline
from listings.waitlist.raffles import waitlist_raffle_open
from listings.waitlist.selectors import waitlist_place
from marketplace.testing import in_days
from payments.models import Transaction
from payments.tests.factories import TransactionFactory

from .waitlist_helpers import fans_waiting, list_ticket

# Offers are made once the listing's transaction commits (on_commit).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def event():
    return EventFactory(name="Fontaines D.C. at 3Arena", event_date=in_days(30))


@pytest.fixture
def fan():
    return UserFactory(email="fan@example.com", name="Fia Fan")


def _join_url(event):
    return f"/events/{event.pk}/waitlist/"


def _leave_url(event):
    return f"/events/{event.pk}/waitlist/leave/"


def _offer_of(listing) -> WaitlistOffer:
    return WaitlistOffer.objects.select_related("entry__fan").get(
        listing=listing, state=WaitlistOffer.State.OPEN
    )


def _expire(offer: WaitlistOffer) -> None:
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _section(html: str) -> str:
    """The event page's waiting list section."""
    match = re.search(r'<section id="waitlist".*?</section>', html, re.S)
    assert match, "no waiting list section"
    return match.group(0)


def _text(html: str) -> str:
    """What a reader sees: tags out, white space folded, none before punctuation."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([.,:;])", r"\1", text)


# --- joining ----------------------------------------------------------------------------


def test_a_fan_joins_from_the_event_page_and_is_sent_back_to_it(client, event, fan):
    client.force_login(fan)

    response = client.post(
        _join_url(event),
        {"quantity": "2", "max_price": "80.00", "section": " B ", "ticket_type": "seated"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.pk}/#waitlist"
    entry = WaitlistEntry.objects.get(event=event, fan=fan)
    assert (entry.state, entry.quantity, entry.max_price, entry.section, entry.ticket_type) == (
        "waiting",
        2,
        Decimal("80.00"),
        "B",
        "seated",
    )
    page = client.get(response["Location"])
    assert _messages(page) == [
        f"You're on the waiting list for {event.name}: we'll email you when a ticket is "
        "held for you."
    ]
    section = _text(_section(page.content.decode()))
    assert "You're on the list: number 1 in line." in section
    assert "2 tickets, up to €80.00 each, section B, seated" in section


def test_a_fan_already_waiting_changes_their_wishes_and_keeps_their_place(client, event, fan):
    first, _ = waitlist_join(fan=fan, event=event, quantity=1)
    fans_waiting(event, 1)
    client.force_login(fan)

    form_page = client.get(_join_url(event))
    assert form_page.status_code == 200
    assert "you keep your place in line" in form_page.content.decode()

    response = client.post(_join_url(event), {"quantity": "3", "max_price": ""}, follow=True)

    entry = WaitlistEntry.objects.get(pk=first.pk)
    assert (entry.quantity, entry.position) == (3, first.position)
    assert waitlist_place(entry=entry) == 1
    assert _messages(response) == [
        f"Your wishes for {event.name} are changed. You keep your place on the waiting list."
    ]


def test_the_join_form_has_its_own_page_with_labels_and_the_quantity_choices(
    client, event, fan, settings
):
    settings.MAX_TICKETS_PER_EVENT = 4
    client.force_login(fan)

    response = client.get(_join_url(event))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Join the waiting list for Fontaines D.C. at 3Arena" in html
    assert re.findall(r'<option value="(\d)"', html) == ["1", "2", "3", "4"]
    for label in ("How many tickets", "Highest price per ticket (EUR)", "Section", "Ticket type"):
        assert f">{label}" in html
    assert '<option value="vip">VIP</option>' in html


def test_a_visitor_is_sent_to_log_in_before_the_join_page(client, event):
    response = client.get(_join_url(event))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def _holding_fan(event):
    """A fan who bought a ticket of the event already."""
    fan = UserFactory()
    TransactionFactory(buyer=fan, listing__ticket__event=event)
    return fan


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"quantity": "0"}, "quantity", "Choose how many tickets you want: 1 to 6."),
        ({"quantity": "7"}, "quantity", "Choose how many tickets you want: 1 to 6."),
        ({"quantity": "two"}, "quantity", "Enter a whole number."),
        ({"quantity": ""}, "quantity", "This field is required."),
        (
            {"quantity": "1", "max_price": "0"},
            "max_price",
            "The highest price must be more than zero.",
        ),
        ({"quantity": "1", "max_price": "lots"}, "max_price", "Enter a number."),
        ({"quantity": "1", "section": "x" * 51}, "section", "At most 50 characters."),
        (
            {"quantity": "1", "ticket_type": "box"},
            "ticket_type",
            "Select a valid choice. box is not one of the available choices.",
        ),
    ],
)
def test_a_bad_wish_is_an_error_on_its_field_and_writes_nothing(
    client, event, fan, db_snapshot, data, field, error
):
    client.force_login(fan)
    before = db_snapshot()

    response = client.post(_join_url(event), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [error]}
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("who", "when", "error"),
    [
        ("unconfirmed", "on_sale", "Confirm your email address to join a waiting list."),
        ("fan", "cancelled", "This event is not on sale: its waiting list is closed."),
        ("fan", "started", "This event is not on sale: its waiting list is closed."),
        ("holding", "on_sale", "You already have that many tickets for this event."),
    ],
)
def test_a_refused_join_shows_the_form_again_with_why_and_writes_nothing(
    client, db_snapshot, who, when, error
):
    event = EventFactory(
        event_date=in_days(-1) if when == "started" else in_days(30),
        status=Event.Status.CANCELLED if when == "cancelled" else Event.Status.PUBLISHED,
    )
    fan = {
        "unconfirmed": lambda: UserFactory(email_verified=False),
        "fan": UserFactory,
        "holding": lambda: _holding_fan(event),
    }[who]()
    client.force_login(fan)
    before = db_snapshot()

    response = client.post(_join_url(event), {"quantity": "1"})

    assert response.status_code == 400
    form = response.context["form"]
    field = "quantity" if who == "holding" else "__all__"
    assert form.errors == {field: [error]}
    assert error in response.content.decode()
    assert db_snapshot() == before


# --- leaving ----------------------------------------------------------------------------


def test_leaving_takes_the_fan_off_the_list_and_returns_to_the_event(client, event, fan):
    waitlist_join(fan=fan, event=event)
    client.force_login(fan)

    response = client.post(_leave_url(event))

    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.pk}/#waitlist"
    assert WaitlistEntry.objects.get(fan=fan).state == WaitlistEntry.State.LEFT
    page = client.get(response["Location"])
    assert _messages(page)[0].startswith(f"You left the waiting list for {event.name}.")
    # Not on it any more: the join form again, with what they waited for.
    assert 'name="quantity"' in _section(page.content.decode())


def test_leaving_from_my_waiting_lists_goes_back_there_but_never_to_another_site(
    client, event, fan
):
    waitlist_join(fan=fan, event=event)
    client.force_login(fan)

    back = client.post(_leave_url(event), {"next": "/my/waitlists/"})
    waitlist_join(fan=fan, event=event)
    elsewhere = client.post(_leave_url(event), {"next": "https://evil.example/phish"})

    assert back["Location"] == "/my/waitlists/"
    assert elsewhere["Location"] == f"/events/{event.pk}/#waitlist"


def test_leaving_a_list_one_is_not_on_says_so_without_an_error_page(client, event, fan):
    client.force_login(fan)

    response = client.post(_leave_url(event), follow=True)

    assert response.status_code == 200
    assert _messages(response) == ["You are not on this waiting list."]


def test_leaving_passes_an_open_offer_on_to_the_next_fan(client, event):
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    client.force_login(first.fan)

    client.post(_leave_url(event))

    assert _offer_of(listing).entry == second


# --- the event page ---------------------------------------------------------------------


def test_a_visitor_sees_how_many_wait_and_is_asked_to_log_in(client, event):
    empty = _text(_section(client.get(f"/events/{event.pk}/").content.decode()))
    fans_waiting(event, 3)

    html = _section(client.get(f"/events/{event.pk}/").content.decode())

    assert "No fans waiting yet. Be the first to join." in empty
    assert "3 fans waiting" in _text(html)
    assert "Log in to join the waiting list" in html
    assert f'href="/accounts/login/?next=/events/{event.pk}/waitlist/"' in html
    assert 'name="quantity"' not in html


def test_a_fan_not_on_the_list_sees_the_join_form(client, event, fan):
    fans_waiting(event, 1)
    client.force_login(fan)

    html = _section(client.get(f"/events/{event.pk}/").content.decode())

    assert "1 fan waiting" in _text(html)
    assert f'action="/events/{event.pk}/waitlist/"' in html
    assert 'name="quantity"' in html and 'name="max_price"' in html
    assert "Join the waiting list" in html
    assert "Leave the waiting list" not in html


def test_a_member_sees_their_place_and_the_leave_button(client, event, fan):
    fans_waiting(event, 2)
    waitlist_join(fan=fan, event=event, quantity=2)
    client.force_login(fan)

    html = _section(client.get(f"/events/{event.pk}/").content.decode())

    assert "You're on the list: number 3 in line." in _text(html)
    assert "3 fans waiting" in _text(html)
    assert f'action="/events/{event.pk}/waitlist/leave/"' in html
    assert 'name="quantity"' not in html


def test_a_member_with_an_offer_sees_its_link_and_end_time(client, event, fan):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event)
    offer = _offer_of(listing)
    client.force_login(fan)

    html = _text(_section(client.get(f"/events/{event.pk}/").content.decode()))

    assert f"A ticket is held for you until {_ends(offer, event)}" in html
    assert f'href="/waitlist/offers/{offer.pk}/"' in _section(
        client.get(f"/events/{event.pk}/").content.decode()
    )


def _ends(offer, event) -> str:
    return event_clock(offer.expires_at, event=event)


def test_a_member_in_an_undrawn_raffle_sees_when_it_is_drawn(client, event, fan):
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=30)
    waitlist_join(fan=fan, event=event)
    client.force_login(fan)

    html = _text(_section(client.get(f"/events/{event.pk}/").content.decode()))

    assert (
        f"You're on the list: in the raffle, drawn at {event_clock(raffle.closes_at, event=event)}."
        in html
    )


def test_an_event_not_on_sale_has_no_join_form(client, fan):
    event = EventFactory(status=Event.Status.CANCELLED)
    client.force_login(fan)

    html = _section(client.get(f"/events/{event.pk}/").content.decode())

    assert "waiting list is closed" in html
    assert "<form" not in html


@pytest.mark.parametrize("waiting", [1, 5])
def test_the_event_page_of_a_member_reads_a_fixed_number_of_queries(
    client, event, fan, django_assert_max_num_queries, waiting
):
    fans_waiting(event, waiting)
    waitlist_join(fan=fan, event=event)
    list_ticket(event)  # held for the first fan: none on sale
    client.force_login(fan)

    # Session, user, notifications; the event (no listing on sale); the waiting
    # list: the count, the entry, the place, the open offers.
    with django_assert_max_num_queries(8):
        response = client.get(f"/events/{event.pk}/")

    assert "You're on the list" in response.content.decode()


# --- My waiting lists -------------------------------------------------------------------


def test_my_waiting_lists_says_where_the_fan_stands_on_each(client, fan):
    waiting, offered, done, left, raffled = (
        EventFactory(name=name, event_date=in_days(30))
        for name in ("Waiting Gig", "Offered Gig", "Done Gig", "Left Gig", "Raffle Gig")
    )
    fans_waiting(waiting, 1)
    waitlist_join(fan=fan, event=waiting, max_price="70.00")
    waitlist_join(fan=fan, event=offered)
    offer = _offer_of(list_ticket(offered))
    waitlist_join(fan=fan, event=done)
    TransactionFactory(buyer=fan, listing__ticket__event=done)
    waitlist_join(fan=fan, event=left)
    waitlist_leave(fan=fan, event_id=left.pk)
    raffle = waitlist_raffle_open(actor=raffled.organizer, event=raffled, minutes=20)
    waitlist_join(fan=fan, event=raffled)
    client.force_login(fan)

    response = client.get("/my/waitlists/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = {
        name: _text(row)
        for name, row in (
            (re.search(r"<strong>([^<]+)</strong>", row).group(1), row)
            for row in re.findall(r'<tr id="waitlist-.*?</tr>', html, re.S)
        )
    }
    assert "Number 2 in line" in rows["Waiting Gig"]
    assert "1 ticket, up to €70.00 each" in rows["Waiting Gig"]
    assert "See the offer and buy" in rows["Offered Gig"]
    assert f"before {_ends(offer, offered)}" in rows["Offered Gig"]
    assert f'href="/waitlist/offers/{offer.pk}/"' in html
    assert "You have your tickets" in rows["Done Gig"]
    assert "You left this list" in rows["Left Gig"]
    assert "Join again" in rows["Left Gig"]
    assert (
        f"In the raffle, drawn at {event_clock(raffle.closes_at, event=raffled)}"
        in rows["Raffle Gig"]
    )
    # One Leave form per list the fan is still on (the page's footer has its own "next").
    table = html.split('<table class="table waitlists-table">')[1].split("</table>")[0]
    assert table.count('name="next" value="/my/waitlists/"') == 4
    assert 'aria-current="page">My waiting lists' in html


def test_my_waiting_lists_empty_points_to_the_events(client, fan):
    client.force_login(fan)

    html = client.get("/my/waitlists/").content.decode()

    assert "You are not on any waiting list." in html
    assert 'href="/events/"' in html


def test_my_waiting_lists_passes_on_an_offer_whose_time_is_up(client, event):
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    _expire(_offer_of(listing))
    client.force_login(first.fan)

    html = client.get("/my/waitlists/").content.decode()

    assert "See the offer" not in html
    assert "Number 2 in line" not in html  # still first in line: one lapse only
    assert "Number 1 in line" in html
    assert _offer_of(listing).entry == second


def test_my_waiting_lists_needs_an_account(client):
    assert client.get("/my/waitlists/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("entries", [1, 5])
def test_my_waiting_lists_reads_a_fixed_number_of_queries(
    client, fan, django_assert_max_num_queries, entries
):
    for _ in range(entries):
        event = EventFactory(event_date=in_days(30))
        fans_waiting(event, 2)
        waitlist_join(fan=fan, event=event)
    client.force_login(fan)

    # Session, user, notifications; the fan's offers whose time is up; the
    # entries, their offers, the fan's tickets; the places in line.
    with django_assert_max_num_queries(8):
        response = client.get("/my/waitlists/")

    assert response.content.decode().count("Number 3 in line") == entries


# --- the offer page ---------------------------------------------------------------------


def test_an_open_offer_shows_the_ticket_its_price_the_time_left_buy_and_no_thanks(
    client, event, fan
):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event, price="58.00", section="112", row="F", seat="9")
    offer = _offer_of(listing)
    client.force_login(fan)

    response = client.get(f"/waitlist/offers/{offer.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    assert f"Nobody else can buy it until {_ends(offer, event)}" in text
    assert "Section 112, Row F, Seat 9" in text
    assert "Ticket price €58.00" in text
    assert "You pay (all-in) €58.00" in text
    assert f'data-deadline-ms="{int(offer.expires_at.timestamp() * 1000)}"' in html
    assert 'aria-live="polite"' in html
    assert re.search(
        rf'<form method="post" action="/listings/{listing.pk}/buy/".*?'
        rf'name="listing_id" value="{listing.pk}".*?Buy this ticket',
        html,
        re.S,
    )
    assert f'action="/waitlist/offers/{offer.pk}/decline/"' in html
    assert 'src="/static/js/waitlist.js"' in html


def test_another_fans_offer_is_not_found(client, event):
    first, _ = fans_waiting(event, 2)
    offer = _offer_of(list_ticket(event))
    client.force_login(UserFactory())

    assert client.get(f"/waitlist/offers/{offer.pk}/").status_code == 404
    assert client.post(f"/waitlist/offers/{offer.pk}/decline/").status_code == 404
    assert _offer_of(offer.listing).entry == first


def test_the_offer_page_needs_an_account(client, event):
    fans_waiting(event, 1)
    offer = _offer_of(list_ticket(event))

    assert client.get(f"/waitlist/offers/{offer.pk}/")["Location"].startswith("/accounts/login/")


def test_an_offer_whose_time_is_up_is_passed_on_when_its_page_is_opened(client, event):
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    offer = _offer_of(listing)
    _expire(offer)
    client.force_login(first.fan)

    response = client.get(f"/waitlist/offers/{offer.pk}/")

    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "This offer has ended" in text
    assert "The time to buy it ran out, so the ticket went to the next fan." in text
    assert "Buy this ticket" not in text
    assert _offer_of(listing).entry == second
    assert len(mail.outbox) == 2  # the first fan's offer, then the second's


def test_a_declined_offer_and_one_withdrawn_by_leaving_say_why_they_ended(client, event):
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    declined = _offer_of(listing)
    waitlist_offer_decline(fan=first.fan, offer=declined)
    withdrawn = _offer_of(listing)
    waitlist_leave(fan=second.fan, event_id=event.pk)

    client.force_login(first.fan)
    declined_page = _text(client.get(f"/waitlist/offers/{declined.pk}/").content.decode())
    client.force_login(second.fan)
    left_page = _text(client.get(f"/waitlist/offers/{withdrawn.pk}/").content.decode())

    assert "You said no thanks, so the ticket went to the next fan." in declined_page
    assert "You left the waiting list, so the ticket went to the next fan." in left_page
    assert f"Back to {event.name}" in left_page


@pytest.mark.parametrize("waiting", [1, 5])
def test_the_offer_page_reads_a_fixed_number_of_queries(
    client, event, django_assert_max_num_queries, waiting
):
    first, *_ = fans_waiting(event, waiting)
    offer = _offer_of(list_ticket(event))
    client.force_login(first.fan)

    # Session, user, notifications; the offer with its listing, ticket and
    # event; whether an offer of the listing is due.
    with django_assert_max_num_queries(5):
        response = client.get(f"/waitlist/offers/{offer.pk}/")

    assert "Buy this ticket" in response.content.decode()


# --- buying and declining ---------------------------------------------------------------


def test_buy_from_the_offer_page_reserves_the_ticket_and_opens_the_checkout(client, event, fan):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event)
    offer = _offer_of(listing)
    client.force_login(fan)

    response = client.post(f"/listings/{listing.pk}/buy/", {"listing_id": listing.pk})

    txn = Transaction.objects.get(listing=listing)
    assert response.status_code == 302
    assert response["Location"] == f"/checkout/{txn.pk}/"
    assert (txn.buyer, txn.status, txn.waitlist_offer_id) == (fan, "pending_payment", offer.pk)
    offer.refresh_from_db()
    assert offer.state == WaitlistOffer.State.ACCEPTED
    # The offer page now says so, with the way back to paying.
    page = client.get(f"/waitlist/offers/{offer.pk}/").content.decode()
    assert "You took this ticket" in page
    assert f'href="/checkout/{txn.pk}/"' in page


def test_another_fan_cannot_buy_a_ticket_held_for_someone_else(client, event, fan):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event)
    client.force_login(UserFactory())

    response = client.post(f"/listings/{listing.pk}/buy/", {"listing_id": listing.pk}, follow=True)

    assert not Transaction.objects.exists()
    assert any("Someone else" in message for message in _messages(response))
    assert _offer_of(listing).entry.fan == fan


def test_no_thanks_passes_the_ticket_on_to_the_next_fan(client, event):
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    offer = _offer_of(listing)
    client.force_login(first.fan)

    response = client.post(f"/waitlist/offers/{offer.pk}/decline/", follow=True)

    assert response.redirect_chain == [("/my/waitlists/", 302)]
    assert _messages(response) == ["No problem: the ticket goes to the next fan."]
    offer.refresh_from_db()
    assert offer.state == WaitlistOffer.State.DECLINED
    assert _offer_of(listing).entry == second


def test_no_thanks_on_an_offer_no_longer_open_says_so(client, event, fan):
    waitlist_join(fan=fan, event=event)
    offer = _offer_of(list_ticket(event))
    waitlist_offer_decline(fan=fan, offer=offer)
    client.force_login(fan)

    response = client.post(f"/waitlist/offers/{offer.pk}/decline/", follow=True)

    assert response.status_code == 200
    assert _messages(response) == [
        "This offer is no longer open: you already bought the ticket or it ended."
    ]


# --- the listing page of a held ticket --------------------------------------------------


def test_the_listing_page_shows_buy_to_the_fan_it_is_held_for_and_reserved_to_others(
    client, event, fan
):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event)
    offer = _offer_of(listing)

    client.force_login(fan)
    mine = client.get(f"/listings/{listing.pk}/")
    client.force_login(UserFactory())
    other = client.get(f"/listings/{listing.pk}/")
    client.logout()
    visitor = client.get(f"/listings/{listing.pk}/")

    assert mine.status_code == 200
    html = mine.content.decode()
    assert f"Held for you until {_ends(offer, event)}" in _text(html)
    assert f'action="/listings/{listing.pk}/buy/"' in html
    assert "it is not on sale" not in html
    for response in (other, visitor):
        assert response.status_code == 200
        page = response.content.decode()
        assert "This ticket is reserved by another fan right now" in page
        assert "/buy/" not in page


def test_the_listing_page_passes_on_a_held_ticket_whose_offer_ran_out(client, event):
    (first,) = fans_waiting(event, 1)
    listing = list_ticket(event)
    _expire(_offer_of(listing))
    client.force_login(first.fan)

    response = client.get(f"/listings/{listing.pk}/")

    # Nobody else waits: the ticket is on sale for everyone, this fan included.
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE
    assert "Buy this ticket" in response.content.decode()
    assert "Held for you" not in response.content.decode()


def test_the_api_shows_a_held_ticket_to_its_fan_and_409_to_anyone_else(api_as, event, fan):
    waitlist_join(fan=fan, event=event)
    listing = list_ticket(event)

    mine = api_as(fan).get(f"/api/v1/listings/{listing.pk}")
    other = api_as(UserFactory()).get(f"/api/v1/listings/{listing.pk}")

    assert mine.status_code == 200
    assert other.status_code == 409
    assert other.json()["error"]["details"]["reason"] == "RESERVED"
