"""The waiting list as sellers, organizers and staff see it: the sell page and
My listings, My sales, the organizer's raffle window, the raffle's draw
through the services, the rules on "How Encore protects you", and the admin."""

import datetime
import re
from html import unescape

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from events.zones import event_clock
from listings.models import Listing, WaitlistEntry, WaitlistOffer, WaitlistRaffle
from listings.tests.factories import ListingFactory
from listings.waitlist.entries import waitlist_join, waitlist_leave
from listings.waitlist.raffles import (
    raffle_draw_order,
    raffle_verify,
    waitlist_raffle_draw,
    waitlist_raffle_open,
)
from marketplace.core.models import AuditAction, AuditLog
from marketplace.testing import in_days
from payments.tests.factories import TransactionFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from tickets.tests.files import ticket_pdf

from .waitlist_helpers import fans_waiting, list_ticket

# Offers are made once the listing's transaction commits (transaction.on_commit).
pytestmark = pytest.mark.django_db(transaction=True)


def words(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(text))


def flashed(client) -> str:
    """The messages the next page shows (read by following to any page)."""
    return words(client.get(reverse("events:how")))


def close_window(raffle: WaitlistRaffle) -> None:
    """The raffle's window ends now (its joiners stay in it), so it can be drawn."""
    WaitlistRaffle.objects.filter(pk=raffle.pk).update(
        closes_at=raffle.opens_at + datetime.timedelta(microseconds=1)
    )


def drawn_audit(raffle: WaitlistRaffle) -> AuditLog:
    return AuditLog.objects.get(
        action=AuditAction.WAITLIST_RAFFLE_DRAWN,
        entity_type="waitlistraffle",
        entity_id=str(raffle.pk),
    )


@pytest.fixture
def event():
    return EventFactory(name="Lankum at Vicar Street", event_date=in_days(30))


@pytest.fixture
def seller(client):
    user = UserFactory()
    client.force_login(user)
    return user


# --- the sell page ---------------------------------------------------------------------


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    """Ticket files written here go to this test's own folder."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Ticket._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


def sell_form(barcode="ENC-WAIT-0001", price="55.00"):
    return {
        "file": SimpleUploadedFile(
            "ticket.pdf", ticket_pdf(barcode), content_type="application/pdf"
        ),
        "barcode": barcode,
        "face_value": "50.00",
        "ticket_type": Ticket.Type.SEATED,
        "section": "A",
        "row": "12",
        "seat": "7",
        "price": price,
    }


def test_the_sell_page_says_how_many_fans_wait_and_that_they_get_the_ticket_first(
    client, seller, event
):
    fans_waiting(event, 3)

    text = words(client.get(reverse("listings:sell-event", args=[event.pk])))

    assert (
        "3 fans are waiting for this event : your ticket is offered to them first, one at a "
        "time, before it goes on sale to everyone." in text
    )


def test_the_sell_page_says_nothing_of_a_waiting_list_nobody_is_on(client, seller, event):
    text = words(client.get(reverse("listings:sell-event", args=[event.pk])))

    assert "waiting for this event" not in text


def test_a_ticket_listed_for_fans_waiting_is_said_to_be_offered_to_the_first_of_them(
    client, seller, event, private_dir
):
    first, _ = fans_waiting(event, 2)

    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form())

    assert response.status_code == 302
    listing = Listing.objects.get(seller=seller)
    assert listing.status == Listing.Status.PENDING
    assert WaitlistOffer.objects.get(listing=listing, state="open").entry == first
    text = words(client.get(response.url))
    assert "It is being offered to the first fan on the waiting list" in text
    assert "is on sale at" not in text


def test_a_ticket_listed_from_my_tickets_for_fans_waiting_is_said_to_be_offered(client, seller):
    event = EventFactory(event_date=in_days(30))
    (first,) = fans_waiting(event, 1)
    ticket = TicketFactory(owner=seller, event=event, status=Ticket.Status.AVAILABLE)

    response = client.post(
        reverse("listings:list-ticket", args=[ticket.pk]), {"price": "55.00"}, follow=True
    )

    assert "It is being offered to the first fan on the waiting list" in words(response)
    listing = Listing.objects.get(ticket=ticket)
    assert WaitlistOffer.objects.get(listing=listing, state="open").entry == first


def test_a_ticket_nobody_waiting_wants_is_said_to_be_on_sale(client, seller, event, private_dir):
    fans_waiting(event, 1, max_price="40.00")

    response = client.post(reverse("listings:sell-event", args=[event.pk]), sell_form())

    text = words(client.get(response.url))
    assert "Your ticket for Lankum at Vicar Street is on sale at €55.00." in text
    assert "offered to the first fan" not in text
    assert Listing.objects.get(seller=seller).status == Listing.Status.ACTIVE


# --- My listings -----------------------------------------------------------------------


def test_my_listings_says_which_fan_has_the_ticket_offered_and_until_when(client, seller, event):
    fans_waiting(event, 1)
    listing = list_ticket(event, seller=seller)
    offer = WaitlistOffer.objects.get(listing=listing, state="open")

    text = words(client.get(reverse("listings:mine")))

    until = event_clock(offer.expires_at, event=event)
    assert f"Offered to a fan on the waiting list until {until}" in text
    assert "Pending (reserved)" not in text
    # No price change while the waiting list has it; the seller may still withdraw it.
    html = client.get(reverse("listings:mine")).content.decode()
    assert reverse("listings:price", args=[listing.pk]) not in html
    assert reverse("listings:cancel", args=[listing.pk]) in html


def test_my_listings_says_a_ticket_waiting_for_a_raffles_draw_is_held_for_the_list(
    client, seller, event
):
    waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    list_ticket(event, seller=seller)

    text = words(client.get(reverse("listings:mine")))

    assert "Held for the waiting list" in text
    assert "Pending (reserved)" not in text


def test_my_listings_still_says_reserved_when_a_buyer_is_paying(client, seller):
    ListingFactory(ticket__owner=seller, status=Listing.Status.PENDING)

    text = words(client.get(reverse("listings:mine")))

    assert "Pending (reserved)" in text
    assert "waiting list" not in text


# Six: the most of an event's tickets one seller may list (its primary purchase limit).
@pytest.mark.parametrize("held_count", [2, 6])
def test_my_listings_reads_the_holds_of_the_page_in_one_query(
    client, seller, event, django_assert_max_num_queries, held_count
):
    fans_waiting(event, held_count // 2)
    for _ in range(held_count // 2):
        list_ticket(event, seller=seller)  # each offered to one fan
    waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    for _ in range(held_count - held_count // 2):
        list_ticket(event, seller=seller)  # nobody left: held for the draw
    ListingFactory(ticket__owner=seller)

    # The page's seven (My listings' own query-count test) and the holds.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("listings:mine"))

    text = words(response)
    assert text.count("Offered to a fan on the waiting list until") == held_count // 2
    assert text.count("Held for the waiting list") == held_count - held_count // 2


# --- My sales ----------------------------------------------------------------------------


def _sold_through_the_waiting_list(seller) -> None:
    listing = ListingFactory(ticket__owner=seller, status=Listing.Status.SOLD)
    entry, _ = waitlist_join(fan=UserFactory(), event=listing.ticket.event)
    now = timezone.now()
    offer = WaitlistOffer.objects.create(
        listing=listing,
        entry=entry,
        state=WaitlistOffer.State.ACCEPTED,
        expires_at=now,
        offered_at=now,
        decided_at=now,
    )
    TransactionFactory(listing=listing, buyer=entry.fan, waitlist_offer=offer)


def test_my_sales_marks_a_sale_made_through_the_waiting_list(client, seller):
    _sold_through_the_waiting_list(seller)
    TransactionFactory(listing=ListingFactory(ticket__owner=seller, status="sold"))

    response = client.get(reverse("payments:sales"))

    assert response.status_code == 200
    assert words(response).count("Sold through the waiting list") == 1


def test_my_sales_reads_no_query_more_for_sales_through_the_waiting_list(client, seller):
    _sold_through_the_waiting_list(seller)
    client.get(reverse("payments:sales"))  # warm up (session, content types)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("payments:sales"))
    for _ in range(4):
        _sold_through_the_waiting_list(seller)

    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("payments:sales"))

    assert words(response).count("Sold through the waiting list") == 5
    assert len(five) == len(one)


# --- the organizer's raffle window ------------------------------------------------------


def _raffle_url(event) -> str:
    return reverse("listings:waitlist-raffle", args=[event.pk])


def test_the_organizer_opens_a_raffle_window_from_the_event_page(client, event):
    fans_waiting(event, 3)
    client.force_login(event.organizer)
    edit = reverse("events:edit", args=[event.pk])
    page = words(client.get(edit))
    assert "3 fans are waiting for tickets of this event." in page
    assert "Open a raffle window: fans who join the waiting list in the next" in page

    response = client.post(_raffle_url(event), {"minutes": "15"})

    assert response.status_code == 302
    assert response.url == f"{edit}#waitlist"
    raffle = WaitlistRaffle.objects.get(event=event)
    assert raffle.opened_by == event.organizer
    assert raffle.closes_at - raffle.opens_at == datetime.timedelta(minutes=15)
    closes = event_clock(raffle.closes_at, event=event)
    page = words(client.get(edit))
    assert f"Raffle window open until {closes}" in page
    assert f"A raffle window is open until {closes}" in page
    # One at a time: no form while this one is open.
    assert "Open the raffle window" not in page
    assert AuditLog.objects.filter(
        action=AuditAction.WAITLIST_RAFFLE_OPENED, entity_id=str(raffle.pk)
    ).exists()


def test_another_organizer_cannot_open_a_raffle_on_an_event(client, event):
    client.force_login(OrganizerFactory())

    response = client.post(_raffle_url(event), {"minutes": "10"})

    assert response.status_code == 403
    assert not WaitlistRaffle.objects.exists()


def test_a_fan_cannot_open_a_raffle(client, event):
    client.force_login(UserFactory())

    assert client.post(_raffle_url(event), {"minutes": "10"}).status_code == 403
    assert not WaitlistRaffle.objects.exists()


@pytest.mark.parametrize("minutes", ["0", "121", "ten", ""])
def test_minutes_out_of_range_open_nothing_and_say_the_range(client, event, minutes):
    client.force_login(event.organizer)

    response = client.post(_raffle_url(event), {"minutes": minutes})

    assert response.status_code == 302
    assert "No raffle opened: A raffle lasts 1 to 120 minutes." in flashed(client)
    assert not WaitlistRaffle.objects.exists()
    assert not AuditLog.objects.filter(action=AuditAction.WAITLIST_RAFFLE_OPENED).exists()


def test_a_second_raffle_is_refused_while_one_is_open(client, event):
    client.force_login(event.organizer)
    client.post(_raffle_url(event), {"minutes": "10"})
    flashed(client)

    client.post(_raffle_url(event), {"minutes": "20"})

    assert "is open or waiting for its draw already" in flashed(client)
    assert WaitlistRaffle.objects.filter(event=event).count() == 1


def test_a_raffle_cannot_be_opened_on_an_event_not_on_sale(client):
    draft = EventFactory(status=Event.Status.DRAFT)
    client.force_login(draft.organizer)

    client.post(_raffle_url(draft), {"minutes": "10"})

    assert "This event is not on sale." in flashed(client)
    assert not WaitlistRaffle.objects.exists()
    page = words(client.get(reverse("events:edit", args=[draft.pk])))
    assert "A raffle window can be opened while the event is on sale" in page


def test_the_event_page_says_when_the_last_raffle_was_drawn_and_with_how_many(client, event):
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    fans_waiting(event, 2)
    close_window(raffle)
    assert waitlist_raffle_draw(raffle_id=raffle.pk)
    raffle.refresh_from_db()
    client.force_login(event.organizer)

    page = words(client.get(reverse("events:edit", args=[event.pk])))

    drawn = event_clock(raffle.drawn_at, event=event)
    assert f"The last raffle was drawn at {drawn} with 2 entrants." in page
    assert "Open the raffle window" in page


# --- the raffle through the services ------------------------------------------------------


def test_raffle_joiners_are_drawn_behind_earlier_fans_and_ahead_of_later_ones(event):
    # given: a fan waiting before the window, two who join inside it
    (earlier,) = fans_waiting(event, 1)
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    inside = fans_waiting(event, 2)
    assert [entry.position for entry in inside] == [None, None]
    assert {entry.raffle_id for entry in inside} == {raffle.pk}
    close_window(raffle)

    # when: the window's draw
    assert waitlist_raffle_draw(raffle_id=raffle.pk)
    (later,) = fans_waiting(event, 1)

    # then: each has a place; the draw sits between the earlier and the later fan
    earlier.refresh_from_db()
    drawn = sorted(
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in inside]).values_list(
            "position", flat=True
        )
    )
    assert None not in drawn
    assert earlier.position < drawn[0] < drawn[1] < later.position
    raffle.refresh_from_db()
    assert raffle.entrants == 2
    audited = drawn_audit(raffle).changes
    assert audited["seed"] == raffle.seed
    assert sorted(audited["order"]) == sorted(e.pk for e in inside)
    assert raffle_verify(raffle=raffle, audited=audited)


def test_a_draw_whose_recorded_order_was_changed_does_not_check_out(event):
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    fans_waiting(event, 5)
    close_window(raffle)
    waitlist_raffle_draw(raffle_id=raffle.pk)
    audited = drawn_audit(raffle).changes

    tampered = {
        **audited,
        "order": [audited["order"][1], audited["order"][0], *audited["order"][2:]],
    }
    reseeded = {**audited, "seed": "0" * 32}

    assert raffle_verify(raffle=raffle, audited=audited)
    assert not raffle_verify(raffle=raffle, audited=tampered)
    assert not raffle_verify(raffle=raffle, audited=reseeded)


def test_a_fan_who_lost_an_earlier_raffle_draws_with_double_weight(event):
    # given: a fan in the event's first raffle, who got no ticket and left
    first = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    (unlucky,) = fans_waiting(event, 1)
    close_window(first)
    waitlist_raffle_draw(raffle_id=first.pk)
    waitlist_leave(fan=unlucky.fan, event_id=event.pk)

    # when: they join the next raffle, beside a newcomer
    second = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    entry, _ = waitlist_join(fan=unlucky.fan, event=event)
    (newcomer,) = fans_waiting(event, 1)
    close_window(second)
    waitlist_raffle_draw(raffle_id=second.pk)

    # then: the draw's record gives them weight 2, the newcomer 1
    entry.refresh_from_db()
    assert entry.raffles_lost == 1
    second.refresh_from_db()
    entrants = dict(map(tuple, drawn_audit(second).changes["entrants"]))
    assert entrants == {entry.pk: 2, newcomer.pk: 1}
    assert raffle_verify(raffle=second, audited=drawn_audit(second).changes)


# --- How Encore protects you ---------------------------------------------------------------


def test_how_it_works_states_the_waiting_list_rules_with_the_default_numbers(client):
    response = client.get(reverse("events:how"))

    html = response.content.decode()
    text = words(response)
    assert 'id="waitlist"' in html
    assert "The fair waiting list" in text
    assert "30 minutes when the event is 7 days or more away" in text
    assert "10 minutes from 24 hours to 7 days before the start" in text
    assert "3 minutes in the last 24 hours before the start" in text
    assert "never ends between 00:00 and 08:00 at the venue's local time" in text
    assert "unless the event starts within 24 hours" in text
    assert "Let 2 offers run out without an answer and you move to the back" in text
    assert "nor 6 tickets per event" in text
    assert "goes on sale to everyone" in text
    assert "A fan who was in an earlier raffle of the event and got no ticket draws with " in text
    assert "double weight" in text


def test_how_it_works_follows_the_waiting_list_settings(client, settings):
    settings.WAITLIST_OFFER_WINDOWS = [[0, 5], [2 * 24 * 3600, 45]]
    settings.WAITLIST_QUIET_HOURS = [1, 7]
    settings.WAITLIST_QUIET_HOURS_UNTIL_START_HOURS = 12
    settings.WAITLIST_LAPSES_TO_BACK = 3
    settings.MAX_TICKETS_PER_EVENT = 4
    settings.WAITLIST_RAFFLE_MAX_MINUTES = 30

    text = words(client.get(reverse("events:how")))

    assert "45 minutes when the event is 2 days or more away" in text
    assert "5 minutes in the last 2 days before the start" in text
    assert "30 minutes" not in text.split("The fair waiting list")[1].split("Raffles")[0]
    assert "between 01:00 and 07:00" in text
    assert "unless the event starts within 12 hours" in text
    assert "Let 3 offers run out" in text
    assert "nor 4 tickets per event" in text
    assert "a raffle window of up to 30 minutes" in text


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def waitlist_rows(event):
    """An entry with an open offer, and a drawn raffle."""
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    fans_waiting(event, 2)
    close_window(raffle)
    waitlist_raffle_draw(raffle_id=raffle.pk)
    listing = list_ticket(event)
    offer = WaitlistOffer.objects.get(listing=listing, state="open")
    raffle.refresh_from_db()
    return offer.entry, offer, raffle


@pytest.mark.parametrize("model", ["waitlistentry", "waitlistoffer", "waitlistraffle"])
def test_staff_see_the_waiting_list_in_the_admin(staff_client, waitlist_rows, model):
    entry, offer, raffle = waitlist_rows
    obj = {"waitlistentry": entry, "waitlistoffer": offer, "waitlistraffle": raffle}[model]

    changelist = staff_client.get(f"/admin/listings/{model}/")
    change = staff_client.get(f"/admin/listings/{model}/{obj.pk}/change/")

    assert changelist.status_code == 200
    assert obj in changelist.context["cl"].result_list
    assert change.status_code == 200
    # Read-only: nothing to save.
    assert 'name="_save"' not in change.content.decode()


def test_the_entries_list_filters_by_state_and_finds_a_fan_by_email(staff_client, waitlist_rows):
    entry, _, _ = waitlist_rows

    found = staff_client.get("/admin/listings/waitlistentry/", {"q": entry.fan.email})
    left = staff_client.get("/admin/listings/waitlistentry/", {"state__exact": "left"})

    assert list(found.context["cl"].result_list) == [entry]
    assert list(left.context["cl"].result_list) == []


def test_a_drawn_raffles_page_says_its_draw_checks_out(staff_client, waitlist_rows):
    _, _, raffle = waitlist_rows

    text = words(staff_client.get(f"/admin/listings/waitlistraffle/{raffle.pk}/change/"))

    assert re.search(r"Draw re-checked:? yes", text)
    assert raffle.seed in text


def test_a_raffle_whose_recorded_draw_does_not_follow_from_its_seed_says_no(staff_client, event):
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)
    entries = fans_waiting(event, 3)
    close_window(raffle)
    # A draw recorded with an order its seed does not give (written by hand).
    WaitlistRaffle.objects.filter(pk=raffle.pk).update(
        seed="ab" * 16, drawn_at=timezone.now(), entrants=3
    )
    entrants = [[entry.pk, 1] for entry in entries]
    drawn = raffle_draw_order(seed="ab" * 16, entrants=[tuple(pair) for pair in entrants])
    AuditLog.objects.create(
        action=AuditAction.WAITLIST_RAFFLE_DRAWN,
        entity_type="waitlistraffle",
        entity_id=str(raffle.pk),
        changes={"seed": "ab" * 16, "entrants": entrants, "order": drawn[::-1]},
    )

    text = words(staff_client.get(f"/admin/listings/waitlistraffle/{raffle.pk}/change/"))

    assert re.search(r"Draw re-checked:? no", text)


def test_staff_open_a_raffle_from_the_admin_through_the_service(staff_client, event):
    form = staff_client.get("/admin/listings/waitlistraffle/add/")
    assert form.status_code == 200
    assert 'name="minutes"' in form.content.decode()

    response = staff_client.post(
        "/admin/listings/waitlistraffle/add/", {"event": event.pk, "minutes": "20"}
    )

    assert response.status_code == 302
    raffle = WaitlistRaffle.objects.get(event=event)
    assert raffle.opened_by.is_staff
    assert raffle.closes_at - raffle.opens_at == datetime.timedelta(minutes=20)
    assert AuditLog.objects.filter(
        action=AuditAction.WAITLIST_RAFFLE_OPENED, entity_id=str(raffle.pk)
    ).exists()


@pytest.mark.parametrize("minutes", ["0", "500"])
def test_the_admins_raffle_form_refuses_bad_minutes_on_the_field(staff_client, event, minutes):
    response = staff_client.post(
        "/admin/listings/waitlistraffle/add/", {"event": event.pk, "minutes": minutes}
    )

    assert response.status_code == 200
    assert "A raffle lasts 1 to 120 minutes." in words(response)
    assert not WaitlistRaffle.objects.exists()


def test_the_admins_raffle_form_refuses_a_second_open_raffle(staff_client, event):
    waitlist_raffle_open(actor=event.organizer, event=event, minutes=10)

    response = staff_client.post(
        "/admin/listings/waitlistraffle/add/", {"event": event.pk, "minutes": "10"}
    )

    assert response.status_code == 200
    assert "is open or waiting for its draw already" in words(response)
    assert WaitlistRaffle.objects.count() == 1


def test_someone_without_staff_access_cannot_open_a_raffle_in_the_admin(client, event):
    client.force_login(event.organizer)

    page = client.get("/admin/listings/waitlistraffle/add/")
    client.post("/admin/listings/waitlistraffle/add/", {"event": event.pk, "minutes": "10"})

    assert page.status_code != 200
    assert not WaitlistRaffle.objects.exists()
