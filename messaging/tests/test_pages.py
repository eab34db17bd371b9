"""The message thread of a transaction (on its page) and the notifications page."""

import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from messaging.models import Message, Notification
from messaging.tests.factories import MessageFactory, NotificationFactory
from payments.models import Transaction
from payments.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def send(client, txn, body):
    return client.post(reverse("payments:message-send", args=[txn.pk]), {"body": body})


# --- Sending ---------------------------------------------------------------------


def test_buyer_writes_to_the_seller_who_is_notified(client, txn):
    client.force_login(txn.buyer)

    response = send(client, txn, "Hi! Is it a seated ticket?")

    assert response["Location"] == reverse("payments:transaction", args=[txn.pk]) + "#messages"
    message = Message.objects.get(transaction=txn)
    assert (message.sender, message.body) == (txn.buyer, "Hi! Is it a seated ticket?")
    notification = Notification.objects.get(user=txn.seller, type=Notification.Type.MESSAGE)
    assert notification.payload["transaction_id"] == txn.pk


def test_the_thread_shows_both_sides_with_names_and_the_form(client, txn):
    MessageFactory(transaction=txn, sender=txn.buyer, body="When will you send it?")
    MessageFactory(transaction=txn, sender=txn.seller, body="Tonight, after work.")
    client.force_login(txn.buyer)

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert "Messages with Sam Seller" in html
    assert re.search(r"message-mine.*?<strong>You</strong>.*?When will you send it\?", html, re.S)
    assert re.search(r"message-theirs.*?<strong>Sam Seller</strong>.*?Tonight", html, re.S)
    assert '<label for="id_body">Message</label>' in html
    assert re.search(r"<button[^>]*>Send</button>", html)


def test_contact_details_are_shown_masked(client, txn):
    client.force_login(txn.seller)
    send(client, txn, "Text me on +353 87 123 4567 or mail sam@example.com")

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert "123 4567" not in html
    assert "sam@example.com" not in html
    assert '<mark class="masked">[contact details hidden]</mark>' in html


def test_message_text_is_escaped(client, txn):
    MessageFactory(transaction=txn, sender=txn.seller, body="<script>alert(1)</script>")
    client.force_login(txn.buyer)

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write a message first."),
        ("   \n ", "Write a message first."),
        ("x" * (settings.MESSAGE_MAX_LENGTH + 1), "at most"),
    ],
)
def test_a_bad_message_is_refused_next_to_the_box_and_changes_nothing(
    client, body, error, txn, db_snapshot
):
    client.force_login(txn.buyer)
    before = db_snapshot()

    response = send(client, txn, body)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'id="id_body_errors"><li>[^<]*{re.escape(error)}', html)
    assert 'aria-invalid="true"' in html
    assert db_snapshot() == before


@override_settings(MESSAGE_MAX_LENGTH=20)
def test_the_length_limit_follows_the_setting(client, txn, db_snapshot):
    client.force_login(txn.buyer)
    before = db_snapshot()

    response = send(client, txn, "This one is longer than twenty.")

    assert response.status_code == 200
    assert "A message can be at most 20 characters." in response.content.decode()
    assert db_snapshot() == before


def test_the_thread_of_a_cancelled_purchase_is_closed(client, db_snapshot):
    txn = TransactionFactory(status=Transaction.Status.CANCELLED)
    client.force_login(txn.buyer)
    before = db_snapshot()

    response = send(client, txn, "Hello?")

    assert response.status_code == 200
    assert "its conversation is closed" in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_only_the_buyer_and_the_seller_can_write(client, who, txn, db_snapshot):
    client.force_login(UserFactory() if who == "stranger" else StaffFactory())
    before = db_snapshot()

    response = send(client, txn, "Let me in.")

    assert response.status_code == 404
    assert db_snapshot() == before


def test_sending_needs_a_login(client, txn):
    response = send(client, txn, "Hello")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Message.objects.exists()


def test_sending_only_answers_post(client, txn):
    client.force_login(txn.buyer)

    assert client.get(reverse("payments:message-send", args=[txn.pk])).status_code == 405


# --- Read receipts ---------------------------------------------------------------


def test_opening_the_page_marks_the_other_partys_messages_read(client, txn):
    theirs = MessageFactory(transaction=txn, sender=txn.seller)
    mine = MessageFactory(transaction=txn, sender=txn.buyer)
    about_it = NotificationFactory(user=txn.buyer, payload={"transaction_id": txn.pk})
    elsewhere = NotificationFactory(user=txn.buyer, payload={"transaction_id": txn.pk + 1})
    client.force_login(txn.buyer)

    first = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()
    second = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is not None
    assert mine.read_at is None  # my own message waits for the seller
    assert Notification.objects.get(pk=about_it.pk).read_at is not None
    assert Notification.objects.get(pk=elsewhere.pk).read_at is None
    assert "badge-new" in first  # new when it was first shown, not after
    assert "badge-new" not in second


def test_the_sender_sees_when_their_message_was_read(client, txn):
    MessageFactory(transaction=txn, sender=txn.buyer)
    client.force_login(txn.seller)
    client.get(reverse("payments:transaction", args=[txn.pk]))
    client.force_login(txn.buyer)

    html = client.get(reverse("payments:transaction", args=[txn.pk])).content.decode()

    assert '<span class="muted">Read</span>' in html


def test_staff_reading_a_thread_leave_it_unread(client, txn):
    message = MessageFactory(transaction=txn, sender=txn.seller)
    client.force_login(StaffFactory())

    response = client.get(reverse("payments:transaction", args=[txn.pk]))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.read_at is None


# --- Notifications ---------------------------------------------------------------


def test_notifications_page_lists_mine_with_links_to_the_transaction(client, txn):
    NotificationFactory(
        user=txn.seller,
        type=Notification.Type.MESSAGE,
        payload={"transaction_id": txn.pk, "sender_name": "Bea Buyer", "event_name": "Gig"},
    )
    NotificationFactory(user=UserFactory(), payload={"event_name": "Not yours"})
    client.force_login(txn.seller)

    response = client.get(reverse("messaging:notifications"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "New message from Bea Buyer about Gig" in html
    assert f'href="{reverse("payments:transaction", args=[txn.pk])}"' in html
    assert "Not yours" not in html
    assert "notification-unread" in html
    assert re.search(r"<button[^>]*>Mark all as read</button>", html)


def test_notifications_without_a_transaction_lead_to_their_page(client):
    user = UserFactory()
    NotificationFactory(
        user=user, type=Notification.Type.LISTING_EXPIRED, payload={"event_name": "Gig"}
    )
    client.force_login(user)

    html = client.get(reverse("messaging:notifications")).content.decode()

    assert f'<a href="{reverse("listings:mine")}">Your listing for Gig has expired</a>' in html


def test_a_ticket_held_from_the_waiting_list_leads_to_its_offer(client):
    user = UserFactory()
    NotificationFactory(
        user=user,
        type=Notification.Type.WAITLIST_OFFER,
        payload={"offer_id": 7, "event_name": "Gig", "expires_at_display": "14:35 GMT"},
    )
    client.force_login(user)

    html = client.get(reverse("messaging:notifications")).content.decode()

    assert (
        f'<a href="{reverse("listings:waitlist-offer", args=[7])}">'
        "A ticket for Gig is held for you until 14:35 GMT</a>"
    ) in html


def test_notifications_page_is_paginated(client):
    user = UserFactory()
    NotificationFactory.create_batch(23, user=user)
    client.force_login(user)

    first = client.get(reverse("messaging:notifications")).content.decode()
    second = client.get(reverse("messaging:notifications"), {"page": 2}).content.decode()

    assert first.count('class="notification-text"') == 20
    assert second.count('class="notification-text"') == 3


@pytest.mark.parametrize("rows", [2, 20])
def test_notifications_page_takes_the_same_queries_for_2_or_20(
    client, rows, django_assert_max_num_queries
):
    user = UserFactory()
    NotificationFactory.create_batch(rows, user=user, payload={"transaction_id": 7})
    client.force_login(user)

    with django_assert_max_num_queries(5):
        response = client.get(reverse("messaging:notifications"))

    assert response.content.decode().count('class="notification-text"') == rows


def test_notifications_page_needs_a_login(client):
    response = client.get(reverse("messaging:notifications"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_mark_all_as_read_marks_mine_only_and_empties_the_bell(client):
    user, other = UserFactory(), UserFactory()
    NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory(user=other)
    client.force_login(user)
    assert (
        'bell-count" aria-hidden="true">3<'
        in client.get(reverse("messaging:notifications")).content.decode()
    )

    response = client.post(reverse("messaging:read-all"))

    assert response["Location"] == reverse("messaging:notifications")
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    html = client.get(response["Location"]).content.decode()
    assert "bell-count" not in html
    assert "notification-unread" not in html


def test_mark_all_as_read_only_answers_post(client):
    client.force_login(UserFactory())

    assert client.get(reverse("messaging:read-all")).status_code == 405


def test_mark_all_as_read_needs_a_login(client):
    notification = NotificationFactory()

    response = client.post(reverse("messaging:read-all"))

    assert response.status_code == 302
    assert Notification.objects.get(pk=notification.pk).read_at is None
