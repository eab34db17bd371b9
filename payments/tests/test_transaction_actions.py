"""What a viewer may do on a transaction, and until when, shown alike on its
page and in the API (ARCHITECTURE.md: every rule tested on both paths). Both
read payments.selectors.transaction_view_for, tested on its own in
test_transaction_view.py."""

import datetime

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.testing import error_of, ok_data
from payments.models import Transaction
from payments.services import transaction_purchase
from payments.services.disputes import dispute_window_closes_at
from payments.services.escrow import auto_confirm_due_at
from payments.tests.helpers import past_event, transaction_in

pytestmark = pytest.mark.django_db

Status = Transaction.Status
# The actions a partner can take through the API (giving a reservation up is on
# the site only: the API's reservations end by themselves).
API_ACTIONS = (
    "pay",
    "extend",
    "confirm",
    "dispute",
    "message",
    "download_ticket",
    "postponement_refund",
)


def purchase(status=Status.PAID, **kwargs) -> Transaction:
    return transaction_in(status, **kwargs)


def page_actions(client, txn) -> set[str]:
    """The actions the transaction page offers, by their buttons, links and forms."""
    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()
    markers = {
        "pay": "Finish paying</a>",
        "extend": 'action="{}"'.format(reverse("payments:extend", args=[txn.pk])),
        "confirm": "Confirm I received it</button>",
        "dispute": 'href="{}"'.format(reverse("payments:dispute", args=[txn.pk])),
        "message": 'action="{}"'.format(reverse("payments:message-send", args=[txn.pk])),
        "download_ticket": 'href="{}"'.format(
            reverse("tickets:file", args=[txn.listing.ticket_id])
        ),
    }
    return {name for name, marker in markers.items() if marker in html}


def api_view(api_as, user, txn) -> dict:
    return ok_data(api_as(user).get(f"/api/v1/transactions/{txn.pk}"))


def api_allowed(data) -> set[str]:
    return {name for name in API_ACTIONS if data["actions"][name]["allowed"]}


def at(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


SCENARIOS = {
    # name: (status, extra factory arguments, viewer, allowed actions)
    "reserved, buyer": (Status.PENDING_PAYMENT, {}, "buyer", {"pay", "message"}),
    "reservation over, buyer": (
        Status.PENDING_PAYMENT,
        {"reserved_until": timezone.now() - datetime.timedelta(minutes=1)},
        "buyer",
        {"message"},
    ),
    "reservation's last minutes, buyer": (
        Status.PENDING_PAYMENT,
        {"reserved_until": "last minutes"},
        "buyer",
        {"pay", "extend", "message"},
    ),
    "reservation's last minutes, already extended, buyer": (
        Status.PENDING_PAYMENT,
        {
            "reserved_until": "last minutes",
            "reservation_extended_at": timezone.now() - datetime.timedelta(minutes=13),
        },
        "buyer",
        {"pay", "message"},
    ),
    "reservation's last minutes, seller": (
        Status.PENDING_PAYMENT,
        {"reserved_until": "last minutes"},
        "seller",
        {"message"},
    ),
    "waiting for the bank, buyer": (
        Status.PENDING_PAYMENT,
        {"payment_status": Transaction.PaymentStatus.REQUIRES_ACTION},
        "buyer",
        {"pay", "message"},
    ),
    "paid, buyer": (
        Status.PAID,
        {},
        "buyer",
        {"confirm", "dispute", "message", "download_ticket"},
    ),
    "paid after the dispute window, buyer": (
        Status.PAID,
        {"listing__ticket__event": "past"},
        "buyer",
        {"confirm", "message", "download_ticket"},
    ),
    "paid, seller": (Status.PAID, {}, "seller", {"message"}),
    "paid, staff": (Status.PAID, {}, "staff", set()),
    "disputed, buyer": (Status.DISPUTED, {}, "buyer", {"message", "download_ticket"}),
    "completed, buyer": (Status.COMPLETED, {}, "buyer", {"message", "download_ticket"}),
    "refunded, buyer": (Status.REFUNDED, {}, "buyer", {"message"}),
    "cancelled, buyer": (Status.CANCELLED, {}, "buyer", set()),
    "cancelled, seller": (Status.CANCELLED, {}, "seller", set()),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_page_and_the_api_offer_the_same_actions(client, api_as, scenario):
    status, extra, who, expected = SCENARIOS[scenario]
    if extra.get("listing__ticket__event") == "past":
        extra = {**extra, "listing__ticket__event": past_event(hours_ago=100)}
    if extra.get("reserved_until") == "last minutes":  # when "I need more time" is offered
        extra = {**extra, "reserved_until": timezone.now() + datetime.timedelta(minutes=2)}
    txn = purchase(status, **extra)
    viewer = {"buyer": txn.buyer, "seller": txn.seller, "staff": StaffFactory()}[who]
    client.force_login(viewer)

    on_the_page = page_actions(client, txn)
    in_the_api = api_view(api_as, viewer, txn)

    assert on_the_page == expected
    assert api_allowed(in_the_api) == expected
    assert in_the_api["role"] == who


def test_a_paid_purchase_says_until_when_a_dispute_is_possible(client, api_as):
    txn = purchase(Status.PAID)
    client.force_login(txn.buyer)

    data = api_view(api_as, txn.buyer, txn)
    dispute_page = client.get(reverse("payments:dispute", args=[txn.pk])).content.decode()

    closes = dispute_window_closes_at(txn)
    assert data["actions"]["dispute"]["allowed"] is True
    assert at(data["actions"]["dispute"]["until"]) == closes
    assert at(data["deadlines"]["dispute_window_closes_at"]) == closes
    assert at(data["deadlines"]["auto_confirm_at"]) == auto_confirm_due_at(txn)
    assert data["actions"]["confirm"] == {"allowed": True, "until": None}
    assert data["deadlines"]["reservation_ends_at"] is None
    local = timezone.localtime(closes)
    assert f"You can report a problem until {local:%A} {local.day} {local:%B %Y, %H:%M}" in (
        dispute_page
    )


def test_after_the_window_the_api_still_says_when_it_closed(api_as):
    txn = purchase(Status.PAID, listing__ticket__event=past_event(hours_ago=100))

    data = api_view(api_as, txn.buyer, txn)

    assert data["actions"]["dispute"] == {"allowed": False, "until": None}
    assert at(data["deadlines"]["dispute_window_closes_at"]) < timezone.now()


def test_a_reservation_shows_its_end_on_the_page_and_in_the_api(client, api_as):
    txn = purchase(Status.PENDING_PAYMENT)
    client.force_login(txn.buyer)

    data = api_view(api_as, txn.buyer, txn)
    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert at(data["actions"]["pay"]["until"]) == txn.reserved_until
    assert at(data["deadlines"]["reservation_ends_at"]) == txn.reserved_until
    assert data["deadlines"]["auto_confirm_at"] is None
    ends = timezone.localtime(txn.reserved_until)
    assert f"The ticket is reserved for you until {ends:%H:%M}." in html


def test_the_purchase_answer_says_until_when_to_pay(api_as, buyer, listing):
    response = api_as(buyer).post(
        "/api/v1/transactions/purchase", {"listing_id": listing.pk}, format="json"
    )

    data = ok_data(response, 201)
    reserved_until = Transaction.objects.get(pk=data["id"]).reserved_until
    assert data["role"] == "buyer"
    assert data["actions"]["pay"]["allowed"] is True
    assert at(data["actions"]["pay"]["until"]) == reserved_until


def test_the_list_gives_each_row_the_callers_actions(api_as, buyer, listing):
    bought = transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction
    sold = purchase(Status.PAID, listing__ticket__owner=buyer)

    rows = {row["id"]: row for row in ok_data(api_as(buyer).get("/api/v1/transactions"))}

    assert rows[bought.pk]["role"] == "buyer"
    assert api_allowed(rows[bought.pk]) == {"pay", "message"}
    assert rows[sold.pk]["role"] == "seller"
    assert api_allowed(rows[sold.pk]) == {"message"}


def test_a_stranger_gets_404_on_both_paths(client, api_as):
    txn = purchase(Status.PAID)
    stranger = UserFactory()
    client.force_login(stranger)

    assert client.get(reverse("payments:transaction", args=[txn.pk])).status_code == 404
    error_of(api_as(stranger).get(f"/api/v1/transactions/{txn.pk}"), 404, "NOT_FOUND")


def test_the_schema_documents_role_actions_and_deadlines(api):
    schemas = yaml.safe_load(api.get("/api/v1/schema/").content)["components"]["schemas"]

    transaction = schemas["TransactionOutput"]["properties"]
    assert {"role", "actions", "deadlines"} <= set(schemas["TransactionOutput"]["required"])
    for field in ("role", "actions", "deadlines"):
        assert transaction[field]["description"]
    actions = schemas["TransactionActionsOutput"]["properties"]
    assert set(actions) == set(API_ACTIONS)
    assert all(action["description"] for action in actions.values())
    action = schemas["TransactionActionOutput"]["properties"]
    assert action["allowed"]["type"] == "boolean"
    assert (action["until"]["format"], action["until"]["nullable"]) == ("date-time", True)
    deadlines = schemas["TransactionDeadlinesOutput"]["properties"]
    assert set(deadlines) == {"reservation_ends_at", "dispute_window_closes_at", "auto_confirm_at"}
    # Purchase and pay answer the transaction too, with the same fields.
    assert {"role", "actions", "deadlines"} <= set(schemas["PaymentOutput"]["properties"])
