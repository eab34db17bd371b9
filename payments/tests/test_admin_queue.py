"""The dispute queue staff work through in the admin: order, filters, and the
change page holding the sale, its messages and its audit trail."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.audit import audit_log_record
from messaging.tests.factories import MessageFactory
from payments.models import Dispute
from payments.tests.factories import DisputeFactory, PayoutFactory

CHANGELIST = reverse("admin:payments_dispute_changelist")

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def opened_hours_ago(hours, **kwargs):
    dispute = DisputeFactory(**kwargs)
    created = timezone.now() - datetime.timedelta(hours=hours)
    Dispute.objects.filter(pk=dispute.pk).update(created_at=created)
    dispute.refresh_from_db()
    return dispute


def change_url(dispute):
    return reverse("admin:payments_dispute_change", args=[dispute.pk])


def test_queue_shows_open_disputes_first_oldest_at_the_top(staff_client):
    settled_long_ago = opened_hours_ago(200, status=Dispute.Status.RESOLVED_REFUND)
    open_recent = opened_hours_ago(2)
    open_old = opened_hours_ago(100)
    open_middle = opened_hours_ago(30)

    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [
        open_old,
        open_middle,
        open_recent,
        settled_long_ago,
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("24h", {"old", "middle"}), ("72h", {"old"})],
)
def test_age_filter_keeps_open_disputes_waiting_longer_than_the_choice(
    staff_client, choice, expected
):
    disputes = {
        "old": opened_hours_ago(100),
        "middle": opened_hours_ago(30),
        "recent": opened_hours_ago(2),
        "settled": opened_hours_ago(100, status=Dispute.Status.RESOLVED_RELEASE),
    }

    response = staff_client.get(CHANGELIST, {"open_for": choice})

    shown = set(response.context["cl"].result_list)
    assert shown == {disputes[name] for name in expected}
    assert f"open &gt; {choice[:2]} h" in response.content.decode()


def test_status_filter_shows_only_that_status(staff_client):
    open_ = DisputeFactory()
    DisputeFactory(status=Dispute.Status.REJECTED)

    response = staff_client.get(CHANGELIST, {"status__exact": "open"})

    assert list(response.context["cl"].result_list) == [open_]


def test_change_page_shows_the_sale_its_messages_and_its_audit_trail(staff_client):
    dispute = DisputeFactory()
    txn = dispute.transaction
    PayoutFactory(transaction=txn)
    MessageFactory(transaction=txn, sender=txn.seller, body="Sent <b>it</b> yesterday.")
    MessageFactory(transaction=txn, sender=txn.buyer, body="Nothing arrived.")
    unrelated = DisputeFactory()
    with transaction.atomic():
        audit_log_record(
            actor=txn.buyer, action="transaction.paid_marker", entity=txn, changes={"a": 1}
        )
        audit_log_record(actor=txn.buyer, action="dispute.opened_marker", entity=dispute)
        audit_log_record(actor=None, action="dispute.unrelated_marker", entity=unrelated)

    response = staff_client.get(change_url(dispute))

    assert response.status_code == 200
    body = response.content.decode()
    assert "55.00 EUR" in body and "4.40 EUR" in body and "50.60 EUR" in body
    assert txn.listing.ticket.event.name in body
    assert txn.seller.email in body and txn.buyer.email in body
    assert "Sent &lt;b&gt;it&lt;/b&gt; yesterday." in body  # escaped, never HTML
    assert "Nothing arrived." in body
    assert "transaction.paid_marker" in body
    assert "dispute.opened_marker" in body
    assert "dispute.unrelated_marker" not in body
    assert "Settle for the buyer" in body


@pytest.mark.parametrize("rows", [2, 20])
def test_change_page_query_count_does_not_grow_with_messages_and_audit_rows(
    staff_client, django_assert_max_num_queries, rows
):
    dispute = DisputeFactory()
    txn = dispute.transaction
    PayoutFactory(transaction=txn)
    for n in range(rows):
        MessageFactory(transaction=txn, sender=txn.buyer if n % 2 else txn.seller)
    with transaction.atomic():
        for n in range(rows):
            audit_log_record(actor=txn.seller, action=f"transaction.marker_{n}", entity=txn)
    staff_client.get(change_url(dispute))  # warm up (content types)

    with django_assert_max_num_queries(12):
        response = staff_client.get(change_url(dispute))

    assert response.content.decode().count("transaction.marker_") == rows


def test_queue_query_count_does_not_grow_with_disputes(staff_client, django_assert_max_num_queries):
    DisputeFactory.create_batch(2)
    staff_client.get(CHANGELIST)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(CHANGELIST)
    DisputeFactory.create_batch(18)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 20


def test_non_staff_cannot_reach_the_dispute_queue(client):
    dispute = DisputeFactory()
    client.force_login(dispute.opened_by)

    for url in (CHANGELIST, change_url(dispute)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permission_on_disputes_cannot_open_one(client):
    dispute = DisputeFactory()
    client.force_login(UserFactory(is_staff=True))

    response = client.get(change_url(dispute))

    assert response.status_code == 403
