"""The outbox sends each email as text with its HTML alternative and its
attachments; the buyer's payment email carries the event's calendar file."""

import base64

import icalendar
import pytest
from django.core import mail
from django.db import transaction

from accounts.tests.factories import UserFactory
from messaging.models import Email, Notification
from messaging.services import email_enqueue, notification_create
from messaging.tasks import email_send
from payments.services.payment import payment_payload

pytestmark = pytest.mark.django_db


def _notify(user, type_, payload):
    with transaction.atomic():
        return notification_create(user=user, type=type_, payload=payload)


def test_an_email_goes_out_as_text_with_its_html_and_its_attachments(
    django_capture_on_commit_callbacks,
):
    attachment = {
        "filename": "note.txt",
        "mimetype": "text/plain",
        "content_base64": base64.b64encode(b"hello").decode(),
    }
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_enqueue(
            to="fan@example.com",
            subject="Subject",
            body="Text part\n",
            html="<p>HTML part</p>",
            attachments=[attachment],
        )

    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.to) == ("Subject", "Text part\n", ["fan@example.com"])
    assert sent.alternatives[0][0] == "<p>HTML part</p>"
    assert sent.alternatives[0][1] == "text/html"
    assert sent.attachments[0][0] == "note.txt"
    assert Email.objects.get().status == Email.Status.SENT


def test_a_text_only_email_has_no_html_alternative(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_enqueue(to="fan@example.com", subject="Subject", body="Text\n")

    assert mail.outbox[0].alternatives == [] and mail.outbox[0].attachments == []


def test_the_buyers_payment_email_carries_the_events_calendar_file(txn):
    event = txn.listing.ticket.event
    txn.buyer.language = "de"
    txn.buyer.save(update_fields=["language"])

    _notify(txn.buyer, Notification.Type.PAYMENT, payment_payload(txn, role="buyer"))
    email = Email.objects.get(to=txn.buyer.email)
    email_send.apply(args=[email.pk])

    assert "<html" in email.html and "Fontaines D.C. &amp; Friends" in email.html
    (attachment,) = email.attachments
    assert attachment["mimetype"] == "text/calendar"
    assert attachment["filename"].endswith(".ics")
    calendar = icalendar.Calendar.from_ical(base64.b64decode(attachment["content_base64"]))
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == event.name
    assert entry.decoded("DTSTART") == event.starts_at
    assert entry["DTSTART"].params["TZID"] == event.time_zone
    # in the buyer's language: the link to the purchase carries its prefix
    assert f"/de/my/transactions/{txn.pk}/" in str(entry["URL"])
    assert f"/de/my/transactions/{txn.pk}/" in email.body
    (sent,) = mail.outbox
    assert sent.attachments[0][0] == attachment["filename"]
    assert sent.attachments[0][2].startswith("text/calendar")


def test_the_sellers_emails_carry_no_calendar(txn):
    _notify(txn.seller, Notification.Type.PAYMENT, payment_payload(txn, role="seller"))
    _notify(txn.seller, Notification.Type.PURCHASE, payment_payload(txn, payout="50.00"))

    assert [email.attachments for email in Email.objects.all()] == [[], []]


def test_an_email_about_a_sale_shows_the_events_picture(settings, txn):
    settings.EVENT_IMAGE_HOSTS = ["img.example.com"]
    event = txn.listing.ticket.event
    event.image_url = "https://img.example.com/fontaines.jpg"
    event.save(update_fields=["image_url"])

    _notify(txn.buyer, Notification.Type.PAYMENT, payment_payload(txn, role="buyer"))

    html = Email.objects.get(to=txn.buyer.email).html
    assert '<img src="https://img.example.com/fontaines.jpg"' in html
    assert f'alt="{event.name}"'.replace("&", "&amp;") in html


def test_an_email_shows_no_picture_when_the_event_has_none_a_mail_program_shows(txn):
    # The category picture is an SVG: mail programs do not show it.
    _notify(txn.buyer, Notification.Type.PAYMENT, payment_payload(txn, role="buyer"))

    assert "<img" not in Email.objects.get(to=txn.buyer.email).html


def test_emails_link_to_what_they_are_about_on_the_site(settings, txn):
    settings.SITE_URL = "https://encore.example"
    user = UserFactory(name="Bea")

    _notify(user, Notification.Type.DELIVERY, {"transaction_id": txn.pk, "event_name": "X"})
    _notify(user, Notification.Type.WAITLIST_OFFER, {"offer_id": 5, "event_name": "X"})
    _notify(user, Notification.Type.TICKET_RECEIVED, {"ticket_id": 3})
    delivery, offer, received = Email.objects.order_by("id")

    assert f"https://encore.example/my/transactions/{txn.pk}/" in delivery.body
    assert "https://encore.example/waitlist/offers/5/" in offer.body
    assert "https://encore.example/tickets/" in received.body
    for email in (delivery, offer, received):
        assert "https://encore.example/profile/" in email.body  # the email preferences
