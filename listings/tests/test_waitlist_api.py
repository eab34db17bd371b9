"""The waiting list through the partner API (rule 13): joining, changing and
leaving an event's list, seeing one's place, the tickets offered, declining,
the organizer's raffle window, and buying an offered ticket with
POST /transactions/purchase. Each refusal is checked in its envelope, with an
unchanged database (db_snapshot)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import OrganizerFactory, StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing, WaitlistEntry, WaitlistOffer, WaitlistRaffle
from listings.tests.factories import ListingFactory
from listings.waitlist.entries import waitlist_join
from listings.waitlist.selectors import waitlist_place
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, in_days, ok_body, ok_data
from payments.models import Transaction
from payments.tests.factories import TransactionFactory
from payments.tests.helpers import CARD_OK

from .waitlist_helpers import fans_waiting, list_ticket

pytestmark = pytest.mark.django_db

MINE = "/api/v1/waitlist"
PURCHASE = "/api/v1/transactions/purchase"
ENTRY_KEYS = {
    "id",
    "event_id",
    "event_name",
    "starts_at",
    "quantity",
    "max_price",
    "section",
    "ticket_type",
    "state",
    "place",
    "joined_at",
    "holdings",
    "offer",
}


def _line(event_or_id) -> str:
    return f"/api/v1/events/{getattr(event_or_id, 'pk', event_or_id)}/waitlist"


def _raffles(event) -> str:
    return f"{_line(event)}/raffles"


def _offer_url(offer_or_id) -> str:
    return f"{MINE}/offers/{getattr(offer_or_id, 'pk', offer_or_id)}"


def _open_offer(listing) -> WaitlistOffer:
    return WaitlistOffer.objects.select_related("entry__fan").get(
        listing=listing, state=WaitlistOffer.State.OPEN
    )


def _time_up(offer) -> None:
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )


@pytest.fixture
def event():
    return EventFactory(event_date=in_days(30), name="Lankum")


@pytest.fixture
def fan():
    return UserFactory()


@pytest.fixture
def offered(event, django_capture_on_commit_callbacks):
    """Two fans in line and a ticket listed: held for the first of them."""
    first, second = fans_waiting(event, 2)
    with django_capture_on_commit_callbacks(execute=True):
        listing = list_ticket(event, section="A", row="4", seat="12")
    offer = _open_offer(listing)
    assert offer.entry == first
    return offer, first, second


# --- POST /events/{id}/waitlist: join, or change what one waits for ------------------------


def test_a_fan_joins_with_their_wishes_and_gets_201_with_their_entry(api_as, event, fan):
    earlier = fans_waiting(event, 1)

    data = ok_data(
        api_as(fan).post(
            _line(event),
            {"quantity": 2, "max_price": "80.00", "section": " Floor ", "ticket_type": "standing"},
        ),
        201,
    )

    entry = WaitlistEntry.objects.get(event=event, fan=fan)
    assert set(data) == ENTRY_KEYS
    assert data["id"] == entry.pk
    assert (data["event_id"], data["event_name"]) == (event.pk, "Lankum")
    assert datetime.datetime.fromisoformat(data["starts_at"]) == event.starts_at
    assert (data["quantity"], data["max_price"], data["section"], data["ticket_type"]) == (
        2,
        "80.00",
        "Floor",
        "standing",
    )
    assert (data["state"], data["place"], data["holdings"], data["offer"]) == (
        "waiting",
        len(earlier) + 1,
        0,
        None,
    )
    assert (entry.quantity, entry.max_price) == (2, Decimal("80.00"))
    assert AuditLog.objects.filter(action="waitlist.joined", entity_id=str(entry.pk)).exists()


def test_joining_without_a_body_waits_for_one_ticket_at_any_price(api_as, event, fan):
    data = ok_data(api_as(fan).post(_line(event)), 201)

    assert (data["quantity"], data["max_price"], data["section"], data["ticket_type"]) == (
        1,
        None,
        "",
        "",
    )


def test_a_waiting_fan_who_changes_their_wishes_gets_200_and_keeps_their_place(api_as, event):
    first, second = fans_waiting(event, 2)
    position = first.position

    data = ok_data(api_as(first.fan).post(_line(event), {"quantity": 3, "max_price": None}), 200)

    assert (data["id"], data["quantity"], data["place"]) == (first.pk, 3, 1)
    first.refresh_from_db()
    assert (first.quantity, first.position) == (3, position)
    assert AuditLog.objects.filter(action="waitlist.changed", entity_id=str(first.pk)).exists()
    assert ok_data(api_as(second.fan).get(_line(event)))["you"]["place"] == 2


def test_a_fan_who_left_joins_again_at_the_back_with_201(api_as, event):
    first, second = fans_waiting(event, 2)
    ok_data(api_as(first.fan).delete(_line(event)))

    data = ok_data(api_as(first.fan).post(_line(event)), 201)

    assert (data["id"], data["state"], data["place"]) == (first.pk, "waiting", 2)


BAD_JOINS = [
    ({"quantity": 0}, "quantity", "OUT_OF_RANGE"),
    ({"quantity": 7}, "quantity", "OUT_OF_RANGE"),
    ({"quantity": -1}, "quantity", "OUT_OF_RANGE"),
    ({"quantity": 10**30}, "quantity", "OUT_OF_RANGE"),
    ({"max_price": "0.00"}, "max_price", "OUT_OF_RANGE"),
    ({"max_price": "-5.00"}, "max_price", "OUT_OF_RANGE"),
    ({"section": "x" * 51}, "section", "TOO_LONG"),
    ({"ticket_type": "y" * 200}, "ticket_type", "TOO_LONG"),
    # Not even of the right type: the field is named, as for every API body.
    ({"quantity": "many"}, "quantity", None),
    ({"quantity": 1.5}, "quantity", None),
    ({"max_price": "abc"}, "max_price", None),
    ({"max_price": "10.001"}, "max_price", None),
    ({"max_price": "1e400"}, "max_price", None),
    ({"section": {"a": 1}}, "section", None),
    ({"section": "A\x00"}, "section", None),
]


@pytest.mark.parametrize(("body", "field", "reason"), BAD_JOINS)
def test_a_bad_join_names_the_field_and_changes_nothing(
    api_as, event, fan, db_snapshot, body, field, reason
):
    before = db_snapshot()

    error = error_of(api_as(fan).post(_line(event), body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == field
    if reason is not None:
        assert error["details"]["reason"] == reason
    if field == "quantity" and reason:
        assert (error["details"]["min"], error["details"]["max"]) == (1, 6)
    if field in ("section", "ticket_type") and reason:
        assert error["details"]["max"] == 50
    assert db_snapshot() == before


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{", "null"])
def test_a_body_that_is_not_an_object_is_refused_with_400(api_as, event, fan, body):
    response = api_as(fan).post(_line(event), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "INVALID_INPUT")
    assert not WaitlistEntry.objects.exists()


def test_a_fan_holding_as_many_tickets_as_they_ask_for_has_nothing_to_wait_for(
    api_as, event, fan, db_snapshot
):
    TransactionFactory(buyer=fan, listing=ListingFactory(ticket__event=event))
    before = db_snapshot()

    error = error_of(api_as(fan).post(_line(event), {"quantity": 1}), 400, "VALIDATION_ERROR")

    assert error["details"] == {"field": "quantity", "reason": "WAITLIST_NOTHING_TO_WAIT_FOR"}
    assert db_snapshot() == before


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.COMPLETED])
def test_an_event_no_longer_on_sale_has_its_waiting_list_closed(api_as, fan, db_snapshot, status):
    event = EventFactory(status=status)
    before = db_snapshot()

    error = error_of(api_as(fan).post(_line(event)), 400, "VALIDATION_ERROR")

    assert error["details"] == {"field": "event", "reason": "EVENT_NOT_ON_SALE"}
    assert db_snapshot() == before


def test_an_unknown_or_draft_event_answers_404(api_as, fan, db_snapshot):
    draft = EventFactory(status=Event.Status.DRAFT)
    before = db_snapshot()

    for event_id in (draft.pk, 999_999_999):
        error_of(api_as(fan).post(_line(event_id)), 404, "NOT_FOUND")
        error_of(api_as(fan).get(_line(event_id)), 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_without_a_token_the_writes_answer_401(api, event, offered, db_snapshot):
    offer, _, _ = offered
    before = db_snapshot()

    for response in (
        api.post(_line(event), {"quantity": 1}),
        api.delete(_line(event)),
        api.get(MINE),
        api.get(_offer_url(offer)),
        api.post(f"{_offer_url(offer)}/decline"),
        api.post(_raffles(event), {"minutes": 10}),
    ):
        error_of(response, 401, "UNAUTHORIZED")
    assert db_snapshot() == before


def test_an_account_whose_address_is_not_confirmed_gets_403_and_is_not_added(api_as, event):
    unconfirmed = UserFactory(email_verified=False)

    error = error_of(api_as(unconfirmed).post(_line(event)), 403, "EMAIL_NOT_VERIFIED")

    assert error["details"]["reason"] == "EMAIL_NOT_VERIFIED"
    assert not WaitlistEntry.objects.exists()


def test_a_suspended_account_is_refused_401_and_is_not_added(api_as, event, fan):
    client = api_as(fan)
    User.objects.filter(pk=fan.pk).update(status=User.Status.SUSPENDED)

    error_of(client.post(_line(event)), 401, "UNAUTHORIZED")

    assert not WaitlistEntry.objects.exists()


def test_joining_during_a_raffle_window_enters_the_raffle(api_as, event, fan):
    ok_data(api_as(event.organizer).post(_raffles(event), {"minutes": 10}), 201)

    data = ok_data(api_as(fan).post(_line(event)), 201)

    assert (data["state"], data["place"]) == ("in_raffle", None)


# --- DELETE /events/{id}/waitlist -------------------------------------------------------------


def test_leaving_answers_the_entry_left_and_passes_a_held_ticket_to_the_next_fan(
    api_as, event, offered, django_capture_on_commit_callbacks
):
    offer, first, second = offered

    with django_capture_on_commit_callbacks(execute=True):
        data = ok_data(api_as(first.fan).delete(_line(event)))

    assert (data["id"], data["state"], data["place"], data["offer"]) == (
        first.pk,
        "left",
        None,
        None,
    )
    assert WaitlistEntry.objects.get(pk=first.pk).state == WaitlistEntry.State.LEFT
    assert WaitlistOffer.objects.get(pk=offer.pk).state == WaitlistOffer.State.WITHDRAWN
    assert _open_offer(offer.listing).entry == second
    you = ok_data(api_as(second.fan).get(_line(event)))["you"]
    assert (you["state"], you["place"], you["offer"]["listing_id"]) == (
        "offered",
        1,
        offer.listing_id,
    )


def test_leaving_a_list_one_is_not_on_answers_404_and_changes_nothing(
    api_as, event, fan, db_snapshot
):
    (left,) = fans_waiting(event, 1)
    ok_data(api_as(left.fan).delete(_line(event)))
    before = db_snapshot()

    error_of(api_as(fan).delete(_line(event)), 404, "NOT_FOUND")
    error_of(api_as(left.fan).delete(_line(event)), 404, "NOT_FOUND")
    error_of(api_as(fan).delete(_line(999_999_999)), 404, "NOT_FOUND")
    assert db_snapshot() == before


# --- GET /events/{id}/waitlist ---------------------------------------------------------------


def test_anyone_sees_how_many_fans_wait_and_a_member_sees_their_own_place(api, api_as, event, fan):
    first, second = fans_waiting(event, 2)

    assert ok_data(api.get(_line(event))) == {"event_id": event.pk, "waiting": 2, "you": None}
    assert ok_data(api_as(fan).get(_line(event)))["you"] is None
    you = ok_data(api_as(second.fan).get(_line(event)))["you"]
    assert set(you) == ENTRY_KEYS
    assert (you["id"], you["state"], you["place"]) == (second.pk, "waiting", 2)


def test_a_draft_events_waiting_list_is_not_found(api):
    draft = EventFactory(status=Event.Status.DRAFT)

    error_of(api.get(_line(draft)), 404, "NOT_FOUND")


# --- GET /waitlist ------------------------------------------------------------------------


def test_my_waitlists_show_each_entry_newest_first_with_the_offer_held_for_me(
    api_as, event, offered
):
    offer, first, _ = offered
    later = EventFactory(event_date=in_days(40))
    ok_data(api_as(first.fan).post(_line(later), {"quantity": 2}), 201)

    rows = ok_data(api_as(first.fan).get(MINE))

    assert [row["event_id"] for row in rows] == [later.pk, event.pk]
    assert all(set(row) == ENTRY_KEYS for row in rows)
    assert (rows[0]["state"], rows[0]["place"], rows[0]["offer"]) == ("waiting", 1, None)
    assert (rows[1]["state"], rows[1]["place"], rows[1]["holdings"]) == ("offered", 1, 1)
    assert rows[1]["offer"] == {
        "id": offer.pk,
        "listing_id": offer.listing_id,
        "price": "55.00",
        "currency": "EUR",
        "expires_at": rows[1]["offer"]["expires_at"],
    }
    expires_at = datetime.datetime.fromisoformat(rows[1]["offer"]["expires_at"])
    assert expires_at == WaitlistOffer.objects.get(pk=offer.pk).expires_at


def test_my_place_counts_only_the_fans_still_waiting_ahead_of_me(api_as, event):
    first, second, third = fans_waiting(event, 3)
    ok_data(api_as(first.fan).delete(_line(event)))

    (row,) = ok_data(api_as(third.fan).get(MINE))

    assert row["place"] == waitlist_place(entry=third) == 2
    (left,) = ok_data(api_as(first.fan).get(MINE))
    assert (left["state"], left["place"]) == ("left", None)


def test_an_entry_shows_done_once_the_fan_holds_what_they_asked_for(api_as, event, fan):
    ok_data(api_as(fan).post(_line(event), {"quantity": 1}), 201)
    TransactionFactory(buyer=fan, listing=ListingFactory(ticket__event=event))

    (row,) = ok_data(api_as(fan).get(MINE))

    assert (row["state"], row["holdings"]) == ("done", 1)


def test_an_offer_whose_time_is_up_has_gone_to_the_next_fan_before_my_list_answers(api_as, offered):
    offer, first, second = offered
    _time_up(offer)

    (mine,) = ok_data(api_as(first.fan).get(MINE))

    assert (mine["state"], mine["offer"]) == ("waiting", None)
    assert WaitlistOffer.objects.get(pk=offer.pk).state == WaitlistOffer.State.EXPIRED
    (theirs,) = ok_data(api_as(second.fan).get(MINE))
    assert (theirs["state"], theirs["offer"]["listing_id"]) == ("offered", offer.listing_id)


def test_my_waitlists_are_paged_with_the_envelopes_pagination(api_as, fan):
    events = [EventFactory(event_date=in_days(20 + n)) for n in range(3)]
    for event in events:
        ok_data(api_as(fan).post(_line(event)), 201)

    first = ok_body(api_as(fan).get(MINE, {"page": 1, "limit": 2}))
    second = ok_body(api_as(fan).get(MINE, {"page": 2, "limit": 2}))
    beyond = ok_body(api_as(fan).get(MINE, {"page": 3, "limit": 2}))

    assert first["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "totalExact": True,
    }
    assert second["meta"]["pagination"]["page"] == 2
    ids = [row["event_id"] for row in first["data"] + second["data"]]
    assert ids == [event.pk for event in reversed(events)]
    assert beyond["data"] == []
    assert ok_body(api_as(UserFactory()).get(MINE))["meta"]["pagination"]["total"] == 0


@pytest.mark.parametrize("params", [{"page": 0}, {"page": "x"}, {"limit": 0}, {"limit": "-1"}])
def test_bad_paging_is_refused_with_400(api_as, fan, params):
    error = error_of(api_as(fan).get(MINE, params), 400, "VALIDATION_ERROR")

    assert error["details"]["reason"] == "INVALID_PAGINATION"


def _entries_with_offers(fan, count, capture):
    """`fan` waits on `count` events, a ticket of each held for them."""
    for _ in range(count):
        event = EventFactory(event_date=in_days(30))
        waitlist_join(fan=fan, event=event)
        with capture(execute=True):
            list_ticket(event)


def test_my_waitlists_take_the_same_queries_for_one_entry_or_five(
    api_as, django_capture_on_commit_callbacks
):
    few, many = UserFactory(), UserFactory()
    _entries_with_offers(few, 1, django_capture_on_commit_callbacks)
    _entries_with_offers(many, 5, django_capture_on_commit_callbacks)
    few_client, many_client = api_as(few), api_as(many)

    with CaptureQueriesContext(connection) as one:
        assert len(ok_data(few_client.get(MINE))) == 1
    with CaptureQueriesContext(connection) as five:
        rows = ok_data(many_client.get(MINE))

    assert len(rows) == 5 and all(row["state"] == "offered" for row in rows)
    assert all(row["place"] == 1 for row in rows)
    assert len(five.captured_queries) == len(one.captured_queries)


# --- GET /waitlist/offers/{id} ----------------------------------------------------------------


def test_the_fan_sees_their_offer_with_its_listing_and_fee_breakdown(api_as, offered):
    offer, first, _ = offered

    data = ok_data(api_as(first.fan).get(_offer_url(offer)))

    assert {
        key: data[key] for key in ("id", "state", "event_id", "listing_id", "price", "currency")
    } == {
        "id": offer.pk,
        "state": "open",
        "event_id": offer.listing.ticket.event_id,
        "listing_id": offer.listing_id,
        "price": "55.00",
        "currency": "EUR",
    }
    assert datetime.datetime.fromisoformat(data["expires_at"]) == offer.expires_at
    assert datetime.datetime.fromisoformat(data["offered_at"]) == offer.offered_at
    assert data["decided_at"] is None
    listing = data["listing"]
    assert (listing["id"], listing["price"], listing["status"]) == (
        offer.listing_id,
        "55.00",
        "pending",
    )
    assert {key: listing["ticket"][key] for key in ("section", "row", "seat")} == {
        "section": "A",
        "row": "4",
        "seat": "12",
    }
    assert listing["ticket"]["ticket_type"] == offer.listing.ticket.ticket_type
    # The listings API's own fee breakdown: the seller sees the same one.
    seller_view = ok_data(api_as(offer.listing.seller).get(f"/api/v1/listings/{offer.listing_id}"))
    assert listing["fee_breakdown"] == seller_view["fee_breakdown"]
    assert (listing["fee_breakdown"]["platform_fee"], listing["fee_breakdown"]["buyer_total"]) == (
        "4.40",
        "55.00",
    )


def test_someone_elses_offer_is_not_found(api_as, offered, db_snapshot):
    offer, _, second = offered
    callers = (second.fan, UserFactory(), StaffFactory(), offer.listing.seller)
    before = db_snapshot()

    for caller in callers:
        error_of(api_as(caller).get(_offer_url(offer)), 404, "NOT_FOUND")
        error_of(api_as(caller).post(f"{_offer_url(offer)}/decline"), 404, "NOT_FOUND")
    error_of(api_as(second.fan).get(_offer_url(999_999_999)), 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_an_offer_whose_time_is_up_shows_expired_and_the_ticket_is_with_the_next_fan(
    api_as, offered
):
    offer, first, second = offered
    _time_up(offer)

    data = ok_data(api_as(first.fan).get(_offer_url(offer)))

    assert data["state"] == "expired"
    assert data["decided_at"] is not None
    assert _open_offer(offer.listing).entry == second


# --- POST /waitlist/offers/{id}/decline --------------------------------------------------------


def test_declining_passes_the_ticket_to_the_next_fan_who_sees_it_offered(
    api_as, offered, django_capture_on_commit_callbacks
):
    offer, first, second = offered

    with django_capture_on_commit_callbacks(execute=True):
        data = ok_data(api_as(first.fan).post(f"{_offer_url(offer)}/decline"))

    assert (data["id"], data["state"]) == (offer.pk, "declined")
    assert data["decided_at"] is not None
    (theirs,) = ok_data(api_as(second.fan).get(MINE))
    next_offer = _open_offer(offer.listing)
    assert theirs["offer"]["id"] == next_offer.pk
    assert (theirs["state"], theirs["offer"]["listing_id"]) == ("offered", offer.listing_id)
    # Declining is not a lapse: the fan keeps their place, with nothing offered.
    (mine,) = ok_data(api_as(first.fan).get(MINE))
    assert (mine["state"], mine["place"], mine["offer"]) == ("waiting", 1, None)
    assert WaitlistEntry.objects.get(pk=first.pk).lapses == 0


def test_declining_an_offer_no_longer_open_answers_409_offer_closed(
    api_as, offered, db_snapshot, django_capture_on_commit_callbacks
):
    offer, first, _ = offered
    with django_capture_on_commit_callbacks(execute=True):
        ok_data(api_as(first.fan).post(f"{_offer_url(offer)}/decline"))
    before = db_snapshot()

    error = error_of(
        api_as(first.fan).post(f"{_offer_url(offer)}/decline"), 409, "TICKET_NOT_AVAILABLE"
    )

    assert error["details"] == {"reason": "OFFER_CLOSED", "state": "declined"}
    assert db_snapshot() == before


def test_declining_an_offer_whose_time_is_up_answers_409_expired(api_as, offered):
    offer, first, second = offered
    _time_up(offer)

    error = error_of(
        api_as(first.fan).post(f"{_offer_url(offer)}/decline"), 409, "TICKET_NOT_AVAILABLE"
    )

    assert error["details"] == {"reason": "OFFER_CLOSED", "state": "expired"}
    # Expired, not declined: it counted as a lapse, and the next fan has the ticket.
    assert WaitlistEntry.objects.get(pk=first.pk).lapses == 1
    assert _open_offer(offer.listing).entry == second


# --- POST /events/{id}/waitlist/raffles ----------------------------------------------------


@pytest.mark.parametrize("who", ["organizer", "staff"])
def test_the_events_organizer_or_staff_open_a_raffle_window(api_as, event, who):
    actor = event.organizer if who == "organizer" else StaffFactory()
    started = timezone.now()

    data = ok_data(api_as(actor).post(_raffles(event), {"minutes": 15}), 201)

    raffle = WaitlistRaffle.objects.get(event=event)
    assert set(data) == {"id", "event_id", "opens_at", "closes_at"}
    assert (data["id"], data["event_id"]) == (raffle.pk, event.pk)
    opens_at = datetime.datetime.fromisoformat(data["opens_at"])
    closes_at = datetime.datetime.fromisoformat(data["closes_at"])
    assert opens_at >= started
    assert closes_at - opens_at == datetime.timedelta(minutes=15)
    assert raffle.opened_by == actor


@pytest.mark.parametrize("who", ["fan", "another organizer"])
def test_anyone_else_opening_a_raffle_is_forbidden(api_as, event, db_snapshot, who):
    caller = UserFactory() if who == "fan" else OrganizerFactory()
    before = db_snapshot()

    error_of(api_as(caller).post(_raffles(event), {"minutes": 15}), 403, "FORBIDDEN")

    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"minutes": 0}, "OUT_OF_RANGE"),
        ({"minutes": 121}, "OUT_OF_RANGE"),
        ({"minutes": -3}, "OUT_OF_RANGE"),
        ({"minutes": "soon"}, None),
        ({}, None),
        ({"minutes": None}, None),
    ],
)
def test_a_bad_raffle_window_names_the_field_and_changes_nothing(
    api_as, event, db_snapshot, body, reason
):
    before = db_snapshot()

    error = error_of(api_as(event.organizer).post(_raffles(event), body), 400, "VALIDATION_ERROR")

    assert error["details"]["field"] == "minutes"
    if reason:
        assert (error["details"]["reason"], error["details"]["max"]) == (reason, 120)
    assert db_snapshot() == before


def test_a_second_raffle_while_one_is_open_is_refused(api_as, event, db_snapshot):
    ok_data(api_as(event.organizer).post(_raffles(event), {"minutes": 15}), 201)
    before = db_snapshot()

    error = error_of(
        api_as(event.organizer).post(_raffles(event), {"minutes": 5}), 400, "VALIDATION_ERROR"
    )

    assert error["details"] == {"field": "minutes", "reason": "RAFFLE_ALREADY_OPEN"}
    assert db_snapshot() == before


def test_a_raffle_on_a_draft_is_not_on_sale_for_its_organizer_and_not_found_for_others(
    api_as, db_snapshot
):
    draft = EventFactory(status=Event.Status.DRAFT)
    another = OrganizerFactory()
    before = db_snapshot()

    error = error_of(
        api_as(draft.organizer).post(_raffles(draft), {"minutes": 5}), 400, "VALIDATION_ERROR"
    )
    assert error["details"] == {"field": "event", "reason": "EVENT_NOT_ON_SALE"}
    error_of(api_as(another).post(_raffles(draft), {"minutes": 5}), 404, "NOT_FOUND")
    assert db_snapshot() == before


# --- buying an offered ticket: POST /transactions/purchase ------------------------------------


def test_the_offered_fan_buys_through_the_purchase_api(api_as, offered):
    offer, first, _ = offered

    data = ok_data(api_as(first.fan).post(PURCHASE, {"listing_id": offer.listing_id}), 201)

    assert (data["status"], data["listing"]["id"]) == ("pending_payment", offer.listing_id)
    txn = Transaction.objects.get(pk=data["id"])
    assert txn.waitlist_offer_id == offer.pk
    assert WaitlistOffer.objects.get(pk=offer.pk).state == WaitlistOffer.State.ACCEPTED
    offer_view = ok_data(api_as(first.fan).get(_offer_url(offer)))
    assert offer_view["state"] == "accepted"
    (mine,) = ok_data(api_as(first.fan).get(MINE))
    assert (mine["state"], mine["holdings"], mine["offer"]) == ("done", 1, None)


def test_the_offered_fan_pays_at_once_with_a_card(api_as, offered):
    offer, first, _ = offered

    data = ok_data(
        api_as(first.fan).post(
            PURCHASE, {"listing_id": offer.listing_id, "payment_method_id": CARD_OK}
        ),
        201,
    )

    assert (data["status"], data["payment_status"]) == ("paid", "succeeded")
    assert Listing.objects.get(pk=offer.listing_id).status == Listing.Status.SOLD


def test_anyone_else_gets_409_while_the_ticket_is_offered(api_as, offered, db_snapshot):
    offer, _, second = offered
    callers = (second.fan, UserFactory())
    before = db_snapshot()

    for caller in callers:
        for body in (
            {"listing_id": offer.listing_id},
            {"listing_id": offer.listing_id, "payment_method_id": CARD_OK},
        ):
            error_of(api_as(caller).post(PURCHASE, body), 409, "TICKET_NOT_AVAILABLE")
    assert db_snapshot() == before


def test_after_the_offer_runs_out_the_fan_gets_409_and_the_next_fan_has_the_ticket(api_as, offered):
    offer, first, second = offered
    _time_up(offer)

    error_of(
        api_as(first.fan).post(PURCHASE, {"listing_id": offer.listing_id}),
        409,
        "TICKET_NOT_AVAILABLE",
    )

    assert not Transaction.objects.exists()
    assert _open_offer(offer.listing).entry == second
    (theirs,) = ok_data(api_as(second.fan).get(MINE))
    assert theirs["offer"]["listing_id"] == offer.listing_id
    ok_data(api_as(second.fan).post(PURCHASE, {"listing_id": offer.listing_id}), 201)


def test_an_open_offer_counts_towards_the_purchase_limit_but_can_itself_be_bought(
    api_as, event, fan, settings, django_capture_on_commit_callbacks
):
    limit = settings.MAX_TICKETS_PER_EVENT
    ok_data(api_as(fan).post(_line(event), {"quantity": limit}), 201)
    for _ in range(limit - 1):
        TransactionFactory(buyer=fan, listing=ListingFactory(ticket__event=event))
    with django_capture_on_commit_callbacks(execute=True):
        held = list_ticket(event)
    assert _open_offer(held).entry.fan == fan
    # The fan's quantity is reached with the offer: the next ticket is on sale to all.
    with django_capture_on_commit_callbacks(execute=True):
        public = list_ticket(event, price="60.00")
    public.refresh_from_db()
    assert public.status == Listing.Status.ACTIVE

    error = error_of(api_as(fan).post(PURCHASE, {"listing_id": public.pk}), 400, "VALIDATION_ERROR")

    assert (error["details"]["reason"], error["details"]["limit"]) == (
        "PURCHASE_LIMIT_REACHED",
        limit,
    )
    data = ok_data(api_as(fan).post(PURCHASE, {"listing_id": held.pk}), 201)
    assert Transaction.objects.get(pk=data["id"]).waitlist_offer == WaitlistOffer.objects.get(
        listing=held
    )
