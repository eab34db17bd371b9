"""Bounces and spam complaints reported by the email provider mark the account
(accounts/email_delivery.py), through anymail's real webhook view
(/email/webhooks/<provider>/tracking/) and its tracking signal
(messaging/receivers.py); the profile shows it until the address changes
or is confirmed again."""

import base64
import json

import pytest
from django.urls import reverse

from accounts.email_delivery import email_delivery_failed
from accounts.services import user_email_changed, user_email_mark_verified
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POSTMARK_WEBHOOK = "/email/webhooks/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"provider:webhook-test-secret").decode()


def _postmark(record_type="Bounce", type_="HardBounce", email="bea@example.com"):
    """What Postmark posts (developer docs, "Bounce webhook")."""
    return {
        "RecordType": record_type,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": type_,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "tickets@encore.example",
        "BouncedAt": "2027-03-04T16:33:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Payment received: your ticket",
    }


def _post(client, payload, auth=AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(
        POSTMARK_WEBHOOK, data=json.dumps(payload), content_type="application/json", **headers
    )


def test_a_bounce_posted_by_the_provider_marks_the_account(client):
    user = UserFactory(email="Bea@Example.com")

    response = _post(client, _postmark(email="bea@example.com"))

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_failing_since.isoformat().startswith("2027-03-04T16:33:54")
    assert "unable to deliver" in user.email_failing_reason


def test_a_spam_complaint_marks_the_account(client):
    user = UserFactory(email="bea@example.com")

    assert (
        _post(client, _postmark(record_type="SpamComplaint", type_="SpamComplaint")).status_code
        == 200
    )

    user.refresh_from_db()
    assert user.email_failing_since is not None


def test_a_delivery_changes_nothing(client):
    user = UserFactory(email="bea@example.com")
    delivered = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "bea@example.com",
        "Tag": "",
        "DeliveredAt": "2027-03-04T16:33:54Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }

    assert _post(client, delivered).status_code == 200

    user.refresh_from_db()
    assert user.email_failing_since is None


@pytest.mark.parametrize(
    "auth", ["", "Basic " + base64.b64encode(b"provider:wrong").decode()], ids=["none", "wrong"]
)
def test_the_webhook_refuses_a_caller_without_the_secret(client, auth):
    user = UserFactory(email="bea@example.com")

    response = _post(client, _postmark(), auth=auth)

    assert response.status_code in (400, 401, 403)
    user.refresh_from_db()
    assert user.email_failing_since is None


def test_the_profile_shows_the_notice(client):
    user = UserFactory(email="bea@example.com")
    _post(client, _postmark())
    client.force_login(user)

    page = client.get(reverse("accounts:profile")).content.decode()

    assert "are not getting through" in page and "unable to deliver" in page


def test_confirming_the_address_again_clears_the_mark():
    user = UserFactory(email="bea@example.com", email_verified=True)
    email_delivery_failed(email=user.email, reason="Mailbox full", event_type="bounced")

    user_email_mark_verified(user=user, email=user.email)

    user.refresh_from_db()
    assert (user.email_failing_since, user.email_failing_reason) == (None, "")


def test_a_new_address_clears_the_mark():
    user = UserFactory(email="bea@example.com")
    email_delivery_failed(email=user.email, reason="Mailbox full", event_type="complained")

    user_email_changed(user=user, from_email="bea@example.com", to_email="bea@new.example")

    user.refresh_from_db()
    assert user.email_failing_since is None


def test_the_first_failure_time_is_kept_and_other_events_are_ignored():
    user = UserFactory(email="bea@example.com")

    assert email_delivery_failed(email=user.email, reason="first", event_type="bounced") == 1
    user.refresh_from_db()
    first = user.email_failing_since
    assert email_delivery_failed(email=user.email, reason="second", event_type="rejected") == 1
    assert email_delivery_failed(email=user.email, reason="", event_type="delivered") == 0
    assert email_delivery_failed(email="nobody@example.com", reason="", event_type="bounced") == 0

    user.refresh_from_db()
    assert (user.email_failing_since, user.email_failing_reason) == (first, "second")
