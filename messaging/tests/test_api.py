"""The messages API: a purchase's thread, sending (moderated), and read receipts.

Each answer is checked in its envelope; each refusal with its error code and,
where a service is involved, an unchanged database (db_snapshot).
"""

from unittest.mock import ANY

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.models import AuditLog
from marketplace.testing import error_of, ok_data
from messaging.masking import CONTACT_HIDDEN, PAYMENT_HIDDEN
from messaging.models import Message, Notification
from messaging.tests.factories import MessageFactory
from payments.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger():
    return UserFactory()


@pytest.fixture
def conversation(txn):
    """Three messages, buyer and seller in turn, oldest first."""
    return [
        MessageFactory(transaction=txn, sender=txn.buyer, body="Hi, is the seat on the aisle?"),
        MessageFactory(transaction=txn, sender=txn.seller, body="Yes, row 12 seat 1."),
        MessageFactory(transaction=txn, sender=txn.buyer, body="Great, thanks!"),
    ]


def send(client, txn, body):
    return client.post("/api/v1/messages", {"transaction_id": txn.pk, "body": body}, format="json")


# --- thread -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_thread_is_shown_to_both_parties_oldest_first_page_by_page(api_as, txn, conversation, who):
    client = api_as(getattr(txn, who))

    first = client.get(f"/api/v1/messages/{txn.pk}", {"limit": 2})
    second = client.get(f"/api/v1/messages/{txn.pk}", {"limit": 2, "page": 2})

    assert first.json()["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "totalExact": True,
        "nextCursor": ANY,
    }
    rows = ok_data(first) + ok_data(second)
    assert [row["id"] for row in rows] == [m.pk for m in conversation]
    assert [row["mine"] for row in rows] == [
        m.sender_id == getattr(txn, who).pk for m in conversation
    ]
    assert {row["transaction_id"] for row in rows} == {txn.pk}


def test_thread_is_shown_to_staff(api_as, txn, conversation):
    rows = ok_data(api_as(StaffFactory()).get(f"/api/v1/messages/{txn.pk}"))

    assert [row["id"] for row in rows] == [m.pk for m in conversation]
    assert not any(row["mine"] for row in rows)


def test_thread_is_not_found_for_anyone_else(api_as, txn, conversation, stranger):
    error_of(api_as(stranger).get(f"/api/v1/messages/{txn.pk}"), 404, "NOT_FOUND")


def test_thread_of_an_unknown_transaction_is_not_found(api_as, txn):
    error_of(api_as(txn.buyer).get(f"/api/v1/messages/{txn.pk + 1000}"), 404, "NOT_FOUND")


def test_thread_runs_the_same_queries_for_2_and_for_20_messages(api_as, txn):
    from payments.tests.factories import TransactionFactory

    other = TransactionFactory()
    for _ in range(2):
        MessageFactory(transaction=txn)
    for n in range(20):
        MessageFactory(transaction=other, sender=other.seller if n % 2 else other.buyer)
    api_as(UserFactory()).get("/api/v1/messages/1")  # warm the one-off lookups

    counted = {}
    for t, expected in ((txn, 2), (other, 20)):
        client = api_as(t.buyer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/messages/{t.pk}")
        assert len(ok_data(response)) == expected
        counted[expected] = len(queries)

    assert counted[2] == counted[20]


# --- send ---------------------------------------------------------------------------


def test_send_masks_contact_details_and_notifies_the_other_party(
    api_as, txn, django_capture_on_commit_callbacks
):
    body = (
        "Mail me at bea.buyer@example.com or call +353 87 123 4567, "
        "or just pay at https://paypal.me/beabuyer"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = send(api_as(txn.buyer), txn, body)

    data = ok_data(response, 201)
    for secret in ("bea.buyer@example.com", "123 4567", "paypal.me"):
        assert secret not in data["body"]
    assert CONTACT_HIDDEN in data["body"] and PAYMENT_HIDDEN in data["body"]
    assert (data["transaction_id"], data["sender"]["id"], data["mine"]) == (
        txn.pk,
        txn.buyer.public_id,
        True,
    )
    assert data["read_at"] is None
    message = Message.objects.get(pk=data["id"])
    assert message.body == data["body"]
    assert AuditLog.objects.filter(
        action="message.contact_masked", actor=txn.buyer, entity_id=str(message.pk)
    ).exists()
    notification = Notification.objects.get(user=txn.seller, type=Notification.Type.MESSAGE)
    assert notification.payload["message_id"] == message.pk


def test_seller_can_answer(api_as, txn):
    data = ok_data(send(api_as(txn.seller), txn, "I will send it tonight."), 201)

    assert data["body"] == "I will send it tonight."
    assert Notification.objects.filter(user=txn.buyer, type="message").count() == 1
    assert not AuditLog.objects.filter(action="message.contact_masked").exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", "EMPTY"), ("   \n ", "EMPTY"), ("x" * (settings.MESSAGE_MAX_LENGTH + 1), "TOO_LONG")],
    ids=["empty", "blank", "too-long"],
)
def test_send_with_an_empty_or_too_long_body_is_refused(api_as, txn, db_snapshot, body, reason):
    before = db_snapshot()

    response = send(api_as(txn.buyer), txn, body)

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "body"
    assert error["details"]["reason"] == reason
    assert error["details"]["maxLength"] == settings.MESSAGE_MAX_LENGTH
    assert db_snapshot() == before


def test_a_message_of_the_maximum_length_is_accepted_whatever_whitespace_surrounds_it(api_as, txn):
    # A partner's text box usually adds a final newline; the service strips it
    # before counting, and the API must count the same characters.
    text = "a" * settings.MESSAGE_MAX_LENGTH

    data = ok_data(send(api_as(txn.buyer), txn, f"  {text}\n"), 201)

    assert data["body"] == text


@pytest.mark.parametrize(
    "body",
    [{}, {"body": "Hello"}, {"transaction_id": "abc", "body": "Hello"}],
    ids=["nothing", "no-transaction", "transaction-abc"],
)
def test_send_without_a_valid_transaction_id_is_refused(api_as, txn, db_snapshot, body):
    before = db_snapshot()

    response = api_as(txn.buyer).post("/api/v1/messages", body, format="json")

    error_of(response, 400, "VALIDATION_ERROR")
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_only_the_parties_can_send(api_as, txn, stranger, db_snapshot, who):
    user = stranger if who == "stranger" else StaffFactory()
    before = db_snapshot()

    response = send(api_as(user), txn, "Hello there")

    error_of(response, 404, "NOT_FOUND")
    assert db_snapshot() == before


def test_send_on_a_cancelled_purchase_is_refused(api_as, txn, db_snapshot):
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.CANCELLED)
    before = db_snapshot()

    response = send(api_as(txn.buyer), txn, "Hello?")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "TRANSACTION_CANCELLED"
    assert db_snapshot() == before


# --- read -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put"])
def test_recipient_marks_a_message_read(api_as, txn, method):
    message = MessageFactory(transaction=txn, sender=txn.buyer)

    response = getattr(api_as(txn.seller), method)(f"/api/v1/messages/{message.pk}/read")

    data = ok_data(response)
    assert data["id"] == message.pk
    assert data["read_at"] is not None
    assert data["mine"] is False
    message.refresh_from_db()
    assert message.read_at is not None


def test_marking_read_twice_keeps_the_first_time(api_as, txn):
    message = MessageFactory(transaction=txn, sender=txn.seller)
    client = api_as(txn.buyer)

    first = ok_data(client.post(f"/api/v1/messages/{message.pk}/read"))["read_at"]
    second = ok_data(client.put(f"/api/v1/messages/{message.pk}/read"))["read_at"]

    assert first is not None
    assert second == first
    message.refresh_from_db()
    assert message.read_at.isoformat().replace("+00:00", "Z") == first


def test_marking_read_marks_the_recipients_notification_read(api_as, txn):
    data = ok_data(send(api_as(txn.buyer), txn, "Any news?"), 201)

    ok_data(api_as(txn.seller).post(f"/api/v1/messages/{data['id']}/read"))

    notification = Notification.objects.get(user=txn.seller, type="message")
    assert notification.read_at is not None


@pytest.mark.parametrize("who", ["sender", "stranger", "staff"])
def test_only_the_recipient_can_mark_a_message_read(api_as, txn, stranger, db_snapshot, who):
    message = MessageFactory(transaction=txn, sender=txn.buyer)
    user = {"sender": txn.buyer, "stranger": stranger, "staff": StaffFactory()}[who]
    before = db_snapshot()

    response = api_as(user).post(f"/api/v1/messages/{message.pk}/read")

    error_of(response, 404, "NOT_FOUND")
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/messages/1"),
        ("post", "/api/v1/messages"),
        ("post", "/api/v1/messages/1/read"),
        ("put", "/api/v1/messages/1/read"),
    ],
)
def test_every_message_endpoint_needs_a_token(api, method, path):
    error_of(getattr(api, method)(path), 401, "UNAUTHORIZED")
