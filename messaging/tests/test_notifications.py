import re

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from marketplace.core.errors import NotFound
from messaging.models import Email, Notification
from messaging.selectors import notification_list, notification_unread_count
from messaging.services import (
    notification_create,
    notification_mark_read,
    notifications_mark_all_read,
)
from messaging.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

EVENT = "Fontaines D.C. & Friends"
# What each caller passes (payments, listings), per notification type.
PAYLOADS = {
    "purchase": {
        "transaction_id": 12,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "payout": "50.60",
    },
    "payment": {
        "transaction_id": 12,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "buyer",
    },
    "delivery": {"transaction_id": 12, "event_name": EVENT, "ticket_id": 3},
    "message": {
        "transaction_id": 12,
        "message_id": 9,
        "sender_name": "Sam Seller",
        "event_name": EVENT,
    },
    "dispute_opened": {
        "transaction_id": 12,
        "dispute_id": 2,
        "event_name": EVENT,
        "reason": "not_received",
    },
    "dispute_resolved": {
        "transaction_id": 12,
        "dispute_id": 2,
        "event_name": EVENT,
        "outcome": "refund",
    },
    "payout": {"transaction_id": 12, "payout_id": 5, "amount": "50.60", "currency": "EUR"},
    "listing_expired": {"listing_id": 8, "event_name": EVENT},
    "listing_removed": {"listing_id": 8, "event_name": EVENT, "note": "Reported as fake."},
    "ticket_received": {"ticket_id": 3, "event_name": EVENT, "sender_name": "Sam"},
    "refund": {
        "transaction_id": 12,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "buyer",
    },
    "payout_account_needed": {
        "transaction_id": 12,
        "payout_id": 5,
        "amount": "50.60",
        "currency": "EUR",
        "event_name": EVENT,
    },
    "payout_failed": {
        "transaction_id": 12,
        "payout_id": 5,
        "amount": "50.60",
        "currency": "EUR",
        "failure_message": "The account cannot receive transfers.",
        "next_attempt": True,
    },
    "chargeback_opened": {
        "transaction_id": 12,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "seller",
        "reversed": False,
    },
    "chargeback_closed": {
        "transaction_id": 12,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "seller",
        "outcome": "won",
    },
    "event_cancelled": {
        "transaction_id": 12,
        "event_id": 3,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "buyer",
        "situation": "paid_out",
    },
    "event_moved": {
        "transaction_id": 12,
        "event_id": 3,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "role": "buyer",
        "starts_at": "2027-03-14T20:00:00+00:00",
        "starts_at_display": "Sun 14 Mar 2027, 20:00 (Europe/Dublin)",
        "refund_until": "2027-02-20T10:00:00+00:00",
        "refund_until_display": "Sat 20 Feb 2027, 10:00 (Europe/Dublin)",
        "refund_days": 14,
    },
    "waitlist_offer": {
        "offer_id": 5,
        "listing_id": 9,
        "event_id": 3,
        "event_name": EVENT,
        "price": "55.00",
        "currency": "EUR",
        "expires_at": "2027-03-01T10:30:00+00:00",
        "expires_at_display": "01 Mar 2027, 10:30 GMT",
        "url": "http://127.0.0.1:8000/waitlist/offers/5/",
        "path": "/waitlist/offers/5/",
    },
}


def create(user, type_, payload):
    with transaction.atomic():
        return notification_create(user=user, type=type_, payload=payload)


def test_every_notification_type_has_a_payload_here():
    assert set(PAYLOADS) == set(Notification.Type.values)


def test_notification_create_writes_the_notification_and_its_email():
    user = UserFactory(name="Bea Buyer")

    notification = create(user, Notification.Type.PAYOUT, PAYLOADS["payout"])

    notification.refresh_from_db()
    assert (notification.user, notification.type, notification.read_at) == (user, "payout", None)
    assert notification.payload == PAYLOADS["payout"]
    email = Email.objects.get()
    assert (email.notification, email.to, email.status, email.attempts) == (
        notification,
        user.email,
        Email.Status.READY,
        0,
    )
    assert email.subject == "Your payout of €50.60 is on its way"
    assert email.body.startswith("Hi Bea Buyer,\n\n")
    assert "€50.60 is on its way to your account" in email.body and "Order: #12" in email.body
    # the same words in the HTML part, from the same template
    assert "€50.60 is on its way to your account" in email.html


@pytest.mark.parametrize("type_", Notification.Type.values)
def test_every_type_renders_a_plain_text_email(type_):
    user = UserFactory(name="Bea Buyer")

    create(user, type_, PAYLOADS[type_])

    email = Email.objects.get()
    assert email.subject and "\n" not in email.subject
    assert email.body.startswith("Hi Bea Buyer,\n\n")
    assert "\nEncore\n" in email.body
    assert email.body.endswith("\nEncore: fan-to-fan tickets at fair prices\n")
    assert "\n\n\n" not in email.body
    text = email.subject + email.body
    # plain text: no HTML escaping or tags, no template left over
    assert "&amp;" not in text and "{" not in text and "None" not in text
    assert not re.search(r"</?[a-z]+[^>]*>", text)
    assert email.html.startswith("<!DOCTYPE html>")
    if "event_name" in PAYLOADS[type_]:
        assert EVENT in email.body


@pytest.mark.parametrize("type_", Notification.Type.values)
def test_every_type_renders_sensibly_without_its_payload(type_):
    user = UserFactory(name="")

    create(user, type_, {})

    email = Email.objects.get()
    assert email.subject
    assert email.body.startswith("Hi there,\n\n")
    assert "\nEncore\n" in email.body
    text = email.subject + email.body
    assert "None" not in text and "#" not in text
    # no gaps left where a value was missing
    assert not re.search(r" [ .,]|\( |\(\)", text)


def test_payment_email_speaks_to_the_buyer_or_the_seller():
    buyer, seller = UserFactory(), UserFactory()

    create(buyer, "payment", PAYLOADS["payment"])
    create(seller, "payment", {**PAYLOADS["payment"], "role": "seller"})

    to_buyer, to_seller = Email.objects.order_by("id")
    assert to_buyer.subject == f"Payment received: your ticket for {EVENT}"
    assert "the ticket is yours" in to_buyer.body
    assert to_seller.subject == f"The buyer has paid for your ticket for {EVENT}"
    assert "Then we pay you" in to_seller.body


def test_dispute_emails_explain_the_reason_and_the_outcome():
    user = UserFactory()

    create(user, "dispute_opened", PAYLOADS["dispute_opened"])
    create(user, "dispute_resolved", {**PAYLOADS["dispute_resolved"], "outcome": "release"})

    opened, resolved = Email.objects.order_by("id")
    assert 'The reason given: "I did not receive the ticket".' in opened.body
    assert "payment is released to the seller" in resolved.body


def test_unknown_notification_type_is_refused_and_writes_nothing():
    user = UserFactory()

    with pytest.raises(ValueError, match="Unknown notification type"):
        create(user, "birthday", {})

    assert not Notification.objects.exists()
    assert not Email.objects.exists()


def test_owner_marks_a_notification_read_once():
    notification = NotificationFactory()

    first = notification_mark_read(user=notification.user, notification=notification)
    read_at = first.read_at
    again = notification_mark_read(user=notification.user, notification=notification)

    assert read_at is not None
    assert again.read_at == read_at
    notification.refresh_from_db()
    assert notification.read_at == read_at


def test_someone_elses_notification_is_not_found_and_stays_unread(db_snapshot):
    notification = NotificationFactory()
    stranger = UserFactory()
    before = db_snapshot()

    with pytest.raises(NotFound) as error:
        notification_mark_read(user=stranger, notification=notification)

    assert error.value.code == "NOT_FOUND"
    assert db_snapshot() == before


def test_mark_all_read_counts_only_the_users_unread_notifications():
    user, other = UserFactory(), UserFactory()
    NotificationFactory.create_batch(2, user=user)
    already = NotificationFactory(user=user, read_at=timezone.now())
    NotificationFactory(user=other)

    assert notifications_mark_all_read(user=user) == 2
    assert notifications_mark_all_read(user=user) == 0

    assert notification_unread_count(user=user) == 0
    assert notification_unread_count(user=other) == 1
    already.refresh_from_db()
    assert already.read_at < timezone.now()


def test_notification_list_is_newest_first_and_filters_unread():
    user = UserFactory()
    old, read, new = NotificationFactory.create_batch(3, user=user)
    notification_mark_read(user=user, notification=read)
    NotificationFactory()  # someone else's

    assert list(notification_list(user=user)) == [new, read, old]
    assert list(notification_list(user=user, unread_only=True)) == [new, old]
    assert notification_unread_count(user=user) == 2


@pytest.mark.parametrize(
    ("preferences", "type_", "emailed"),
    [
        ({}, "message", True),
        ({"email_new_messages": False}, "message", False),
        ({"email_new_messages": False}, "payment", True),
        ({"email_sale_updates": False}, "payout", False),
        ({"email_sale_updates": False}, "message", True),
    ],
)
def test_the_profile_email_choices_decide_whether_a_notification_is_emailed(
    preferences, type_, emailed
):
    user = UserFactory(preferences=preferences)

    with transaction.atomic():
        notification_create(user=user, type=type_, payload={"transaction_id": 1})

    # The notification is always on the site; the email only when wanted.
    assert Notification.objects.filter(user=user, type=type_).count() == 1
    assert Email.objects.filter(to=user.email).exists() is emailed
