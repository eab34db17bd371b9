""" "I need more time" (WCAG 2.2 SC 2.2.1, Timing Adjustable): the buyer may
extend a reservation once, by 15 minutes, in its last 3 minutes; on the
checkout page (a form post, with or without JavaScript) and the API alike."""

import datetime
import threading

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.models import Listing
from marketplace.core.errors import PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditAction, AuditLog
from marketplace.testing import error_of, ok_data, run_in_threads
from payments.models import Transaction
from payments.selectors import transaction_view_for
from payments.services import (
    reservation_extend,
    reservations_release_expired,
    transaction_purchase,
)

pytestmark = pytest.mark.django_db

EXTENSION = datetime.timedelta(minutes=15)


def ends_in(txn: Transaction, **delta) -> datetime.datetime:
    """Move the reservation's end to now + delta; returns the new end."""
    until = timezone.now() + datetime.timedelta(**delta)
    Transaction.objects.filter(pk=txn.pk).update(reserved_until=until)
    txn.refresh_from_db()
    return until


@pytest.fixture
def reserved(buyer, listing):
    """A purchase awaiting the buyer's card, at the local Stripe."""
    return transaction_purchase(buyer=buyer, listing_id=listing.pk).transaction


def extensions(txn) -> int:
    return AuditLog.objects.filter(
        action=AuditAction.TRANSACTION_RESERVATION_EXTENDED, entity_id=str(txn.pk)
    ).count()


# --- the service and the selector -----------------------------------------------


def test_extend_in_the_last_minutes_adds_fifteen_minutes_once(buyer, reserved):
    until = ends_in(reserved, minutes=2)

    txn = reservation_extend(buyer=buyer, transaction_id=reserved.pk)

    assert txn.reserved_until == until + EXTENSION
    assert txn.reservation_extended_at is not None
    assert extensions(txn) == 1
    log = AuditLog.objects.get(action=AuditAction.TRANSACTION_RESERVATION_EXTENDED)
    assert log.actor_id == buyer.pk
    assert log.changes["reserved_until"]["to"] == txn.reserved_until.isoformat()
    view = transaction_view_for(user=buyer, transaction=txn)
    assert view.actions.extend.allowed is False
    assert view.actions.pay.until == txn.reserved_until

    with pytest.raises(ValidationFailed) as second:
        reservation_extend(buyer=buyer, transaction_id=reserved.pk)
    assert second.value.details["reason"] == "ALREADY_EXTENDED"
    assert Transaction.objects.get(pk=reserved.pk).reserved_until == until + EXTENSION
    assert extensions(txn) == 1


def test_extend_refused_while_more_than_three_minutes_remain_says_when(buyer, reserved):
    until = ends_in(reserved, minutes=10)
    assert transaction_view_for(user=buyer, transaction=reserved).actions.extend.allowed is False

    with pytest.raises(ValidationFailed) as refused:
        reservation_extend(buyer=buyer, transaction_id=reserved.pk)

    assert refused.value.details["reason"] == "EXTENSION_TOO_EARLY"
    opens = until - datetime.timedelta(minutes=3)
    assert refused.value.details["availableAt"] == opens.isoformat()
    assert f"{timezone.localtime(opens):%H:%M:%S}" in refused.value.message
    reserved.refresh_from_db()
    assert reserved.reserved_until == until
    assert reserved.reservation_extended_at is None
    assert extensions(reserved) == 0


def test_extend_refused_after_expiry(buyer, reserved):
    until = ends_in(reserved, seconds=-5)
    assert transaction_view_for(user=buyer, transaction=reserved).actions.extend.allowed is False

    with pytest.raises(TicketNotAvailable) as refused:
        reservation_extend(buyer=buyer, transaction_id=reserved.pk)

    assert refused.value.details["reason"] == "RESERVATION_EXPIRED"
    reserved.refresh_from_db()
    assert reserved.reserved_until == until
    assert extensions(reserved) == 0


def test_only_the_buyer_sees_and_may_extend(buyer, seller, reserved):
    ends_in(reserved, minutes=2)
    assert transaction_view_for(user=buyer, transaction=reserved).actions.extend.allowed
    assert not transaction_view_for(user=seller, transaction=reserved).actions.extend.allowed
    with pytest.raises(PermissionDenied):
        reservation_extend(buyer=seller, transaction_id=reserved.pk)
    assert extensions(reserved) == 0


def test_release_job_respects_the_new_deadline(monkeypatch, buyer, listing, reserved):
    # given: a reservation extended 2 minutes before its end
    original_end = ends_in(reserved, minutes=2)
    new_end = reservation_extend(buyer=buyer, transaction_id=reserved.pk).reserved_until
    real_now = timezone.now

    # when: the job runs a minute after the original end
    monkeypatch.setattr(timezone, "now", lambda: original_end + datetime.timedelta(minutes=1))
    assert reservations_release_expired() == 0

    # then: still reserved; once the new end has passed, released
    reserved.refresh_from_db()
    assert reserved.status == Transaction.Status.PENDING_PAYMENT
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING
    monkeypatch.setattr(timezone, "now", lambda: new_end + datetime.timedelta(seconds=1))
    assert reservations_release_expired() == 1
    monkeypatch.setattr(timezone, "now", real_now)
    reserved.refresh_from_db()
    assert reserved.status == Transaction.Status.CANCELLED


# --- the checkout page -------------------------------------------------------------


def test_checkout_shows_the_button_only_in_the_last_minutes(client, buyer, reserved):
    client.force_login(buyer)
    url = reverse("payments:checkout", args=[reserved.pk])
    extend_url = reverse("payments:extend", args=[reserved.pk])

    ends_in(reserved, minutes=10)
    early = client.get(url).content.decode()
    # Rendered for checkout.js to reveal at the 3-minute mark, hidden until then.
    assert f'action="{extend_url}"' in early
    assert 'id="extend-form" data-extend-opens-ms=' in early
    assert " hidden>" in early.split('id="extend-form"')[1].split("</form>")[0]

    ends_in(reserved, minutes=2)
    late = client.get(url).content.decode()
    form = late.split('id="extend-form"')[1].split("</form>")[0]
    assert " hidden>" not in form
    assert "I need more time" in form
    assert 'role="alert" data-countdown-warning>Less than 3 minutes left.' in late


def test_checkout_form_post_extends_once(client, buyer, reserved):
    client.force_login(buyer)
    until = ends_in(reserved, minutes=2)
    extend_url = reverse("payments:extend", args=[reserved.pk])

    first = client.post(extend_url)

    assert first.status_code == 302
    assert first["Location"] == reverse("payments:checkout", args=[reserved.pk])
    reserved.refresh_from_db()
    assert reserved.reserved_until == until + EXTENSION
    assert "15 more minutes" in [str(m) for m in get_messages(first.wsgi_request)][0]
    page = client.get(first["Location"]).content.decode()
    assert 'id="extend-form"' not in page
    assert "You already had 15 more minutes once." in page

    second = client.post(extend_url)

    assert second.status_code == 302
    assert "cannot be extended again" in [str(m) for m in get_messages(second.wsgi_request)][0]
    reserved.refresh_from_db()
    assert reserved.reserved_until == until + EXTENSION
    assert extensions(reserved) == 1


def test_checkout_form_post_too_early_and_after_expiry(client, buyer, reserved):
    client.force_login(buyer)
    extend_url = reverse("payments:extend", args=[reserved.pk])
    until = ends_in(reserved, minutes=10)

    early = client.post(extend_url)
    assert early.status_code == 302
    assert "in the last 3 minutes" in [str(m) for m in get_messages(early.wsgi_request)][0]

    ends_in(reserved, seconds=-5)
    late = client.post(extend_url)
    assert late.status_code == 200
    assert "Your reservation expired" in late.content.decode()
    reserved.refresh_from_db()
    assert reserved.reserved_until < until
    assert extensions(reserved) == 0


def test_checkout_extend_is_404_for_others(client, reserved):
    ends_in(reserved, minutes=2)
    client.force_login(UserFactory())
    assert client.post(reverse("payments:extend", args=[reserved.pk])).status_code == 404
    assert extensions(reserved) == 0


# --- the API ---------------------------------------------------------------------


def test_api_extend_answers_the_transaction_with_its_new_deadlines(api_as, buyer, reserved):
    api = api_as(buyer)
    url = f"/api/v1/transactions/{reserved.pk}/extend"
    ends_in(reserved, minutes=10)
    detail = ok_data(api.get(f"/api/v1/transactions/{reserved.pk}"))
    assert detail["actions"]["extend"] == {"allowed": False, "until": None}

    error = error_of(api.post(url), 400, "VALIDATION_ERROR")
    assert error["details"]["reason"] == "EXTENSION_TOO_EARLY"
    assert "availableAt" in error["details"]

    until = ends_in(reserved, minutes=2)
    detail = ok_data(api.get(f"/api/v1/transactions/{reserved.pk}"))
    assert detail["actions"]["extend"]["allowed"] is True

    data = ok_data(api.post(url))

    new_end = (until + EXTENSION).isoformat().replace("+00:00", "Z")
    assert data["reserved_until"] == new_end
    assert data["deadlines"]["reservation_ends_at"] == new_end
    assert data["actions"]["pay"] == {"allowed": True, "until": new_end}
    assert data["actions"]["extend"] == {"allowed": False, "until": None}

    again = error_of(api.post(url), 400, "VALIDATION_ERROR")
    assert again["details"]["reason"] == "ALREADY_EXTENDED"
    assert extensions(reserved) == 1


def test_api_extend_after_expiry_is_409(api_as, buyer, reserved):
    ends_in(reserved, seconds=-5)
    error = error_of(
        api_as(buyer).post(f"/api/v1/transactions/{reserved.pk}/extend"),
        409,
        "TICKET_NOT_AVAILABLE",
    )
    assert error["details"]["reason"] == "RESERVATION_EXPIRED"


def test_api_extend_by_a_stranger_is_404(api_as, reserved):
    ends_in(reserved, minutes=2)
    error_of(
        api_as(UserFactory()).post(f"/api/v1/transactions/{reserved.pk}/extend"), 404, "NOT_FOUND"
    )


# --- two requests at once ----------------------------------------------------------


def _read_then_write_extend(*, transaction_id, all_read) -> bool:
    """The race the conditional UPDATE prevents: check, then write by primary key,
    every request reading before any writes (the barrier `all_read`)."""
    txn = Transaction.objects.get(pk=transaction_id)
    may = txn.reservation_extended_at is None
    all_read.wait()
    if may:
        Transaction.objects.filter(pk=transaction_id).update(
            reserved_until=F("reserved_until") + EXTENSION, reservation_extended_at=timezone.now()
        )
    return may


@pytest.mark.django_db(transaction=True)
def test_without_the_guard_two_tabs_extend_twice(buyer, reserved):
    until = ends_in(reserved, minutes=2)
    all_read = threading.Barrier(2, timeout=30)
    calls = [
        lambda: _read_then_write_extend(transaction_id=reserved.pk, all_read=all_read)
        for _ in range(2)
    ]

    results, _ = run_in_threads(calls)

    assert results == [True, True]
    assert Transaction.objects.get(pk=reserved.pk).reserved_until == until + 2 * EXTENSION


@pytest.mark.django_db(transaction=True)
def test_two_parallel_extensions_extend_once(buyer, reserved):
    # given: two tabs (or a double click) asking at the same moment, each on its
    # own database connection
    until = ends_in(reserved, minutes=2)
    calls = [lambda: reservation_extend(buyer=buyer, transaction_id=reserved.pk) for _ in range(2)]

    # when
    results, _ = run_in_threads(calls)

    # then: one extension, one clear refusal
    extended = [r for r in results if isinstance(r, Transaction)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(extended) == 1, results
    assert len(refused) == 1, results
    assert refused[0].details["reason"] == "ALREADY_EXTENDED"
    assert Transaction.objects.get(pk=reserved.pk).reserved_until == until + EXTENSION
    assert extensions(reserved) == 1


@pytest.mark.django_db(transaction=True)
def test_two_parallel_api_extensions_extend_once(api_as, buyer, reserved):
    until = ends_in(reserved, minutes=2)
    url = f"/api/v1/transactions/{reserved.pk}/extend"
    clients = [api_as(buyer), api_as(buyer)]

    results, _ = run_in_threads([lambda c=c: c.post(url) for c in clients])

    assert sorted(r.status_code for r in results) == [200, 400], results
    assert Transaction.objects.get(pk=reserved.pk).reserved_until == until + EXTENSION
    assert extensions(reserved) == 1
