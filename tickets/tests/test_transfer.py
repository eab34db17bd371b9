"""Transferring a ticket by email address: offered (held for the address),
claimed by the account of that address, taken back by the sender or expired;
and the sender's answer is the same whether or not the address has an Encore
account."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from marketplace.core.errors import NotFound, PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import run_in_threads
from messaging.models import Email
from tickets.models import Ticket, TicketTransfer
from tickets.services import (
    ticket_transfer,
    ticket_transfer_cancel,
    ticket_transfer_claim,
    ticket_transfers_expire,
)
from tickets.services import transfer as services
from tickets.tests.factories import TicketFactory
from tickets.tests.helpers import counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return TicketFactory()


@pytest.fixture
def friend():
    return UserFactory(email="friend@example.com")


def snapshot(ticket):
    """What a refused transfer must leave as it found: the row, and the table counts."""
    row = Ticket.objects.filter(pk=ticket.pk).values("owner_id", "status").get()
    return row, counts(), TicketTransfer.objects.count(), Email.objects.count()


def code_emailed_to(address: str) -> str:
    """The claim code in the last email to `address`."""
    email = Email.objects.filter(to=address).order_by("-id").first()
    assert email is not None, f"no email to {address}"
    match = re.search(r"/tickets/claim/([A-Za-z0-9_-]+)/", email.body)
    assert match, email.body
    return match.group(1)


def offer(ticket, email, **kwargs):
    return ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=email, **kwargs)


# --- Offer --------------------------------------------------------------------------


def test_an_offer_holds_the_ticket_for_the_address_and_emails_it(ticket, friend, settings):
    # The emailed links start with the site's address (settings.SITE_URL).
    settings.SITE_URL = "https://e.test"
    owner = ticket.owner

    transfer = offer(
        ticket, "  Friend@Example.COM ", ip_address="192.0.2.1", site_url="https://e.test/"
    )

    ticket.refresh_from_db()
    assert (ticket.owner, ticket.status) == (owner, Ticket.Status.TRANSFER_PENDING)
    assert (transfer.recipient_email, transfer.status) == ("friend@example.com", "pending")
    assert transfer.ticket_status_before == Ticket.Status.AVAILABLE
    hold = transfer.expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < hold <= timedelta(days=7)
    entry = AuditLog.objects.get(action="ticket.transfer_offered")
    assert (entry.actor, entry.entity_id, entry.ip_address) == (owner, str(ticket.pk), "192.0.2.1")
    assert entry.changes["recipient"] == "account"
    assert entry.changes["recipient_id"] == friend.pk
    (email,) = Email.objects.filter(to="friend@example.com")
    assert "https://e.test/tickets/claim/" in email.body
    assert "log in to Encore with this address" in email.body
    # Nothing changes hands until the friend accepts.
    assert not friend.notifications.exists()


def test_an_offer_to_an_address_without_an_account_invites_them_to_sign_up(ticket, settings):
    settings.SITE_URL = "https://e.test"
    offer(ticket, "newcomer@example.com", site_url="https://e.test")

    entry = AuditLog.objects.get(action="ticket.transfer_offered")
    assert (entry.changes["recipient"], entry.changes["recipient_id"]) == ("invitation", None)
    (email,) = Email.objects.filter(to="newcomer@example.com")
    assert "https://e.test/accounts/signup/" in email.body
    assert "https://e.test/tickets/claim/" in email.body
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRANSFER_PENDING


def test_the_hold_ends_when_the_event_starts_if_that_is_sooner():
    soon = timezone.now() + timedelta(days=2)
    ticket = TicketFactory(event=EventFactory(event_date=soon.date(), event_time=soon.time()))

    transfer = offer(ticket, "friend@example.com")

    assert transfer.expires_at <= ticket.event.starts_at


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Ticket.Status.LISTED, "LISTED"),
        (Ticket.Status.RESERVED, "RESERVED"),
        (Ticket.Status.SOLD, "IN_ESCROW"),
        (Ticket.Status.TRANSFER_PENDING, "TRANSFER_PENDING"),
        (Ticket.Status.VOID, "VOID"),
    ],
)
def test_ticket_that_is_not_in_hand_cannot_be_transferred(friend, status, reason):
    ticket = TicketFactory(status=status)
    before = snapshot(ticket)

    with pytest.raises(TicketNotAvailable) as error:
        offer(ticket, friend.email)

    assert error.value.http_status == 409
    assert error.value.details == {"reason": reason, "status": status}
    assert snapshot(ticket) == before


def test_a_ticket_for_an_event_that_started_cannot_be_transferred(friend):
    past = timezone.now() - timedelta(hours=1)
    ticket = TicketFactory(event=EventFactory(event_date=past.date(), event_time=past.time()))
    before = snapshot(ticket)

    with pytest.raises(TicketNotAvailable) as error:
        offer(ticket, friend.email)

    assert error.value.details == {"reason": "EVENT_STARTED"}
    assert snapshot(ticket) == before


def test_status_read_from_the_database_not_from_the_object_passed_in(ticket, friend):
    # given a listing made since the ticket was loaded
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.LISTED)
    before = snapshot(ticket)

    with pytest.raises(TicketNotAvailable):
        offer(ticket, friend.email)

    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("", "INVALID_EMAIL"),
        ("   ", "INVALID_EMAIL"),
        (None, "INVALID_EMAIL"),
        ("no-at-sign", "INVALID_EMAIL"),
    ],
)
def test_a_missing_or_malformed_address_is_refused(ticket, email, reason):
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as error:
        offer(ticket, email)

    assert error.value.details == {"field": "recipient_email", "reason": reason}
    assert snapshot(ticket) == before


def test_owner_cannot_transfer_to_themselves(ticket):
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as error:
        offer(ticket, ticket.owner.email.upper())

    assert error.value.details == {"field": "recipient_email", "reason": "SELF_TRANSFER"}
    assert snapshot(ticket) == before


def test_someone_else_gets_not_found(ticket, friend):
    before = snapshot(ticket)

    with pytest.raises(NotFound):
        ticket_transfer(owner=friend, ticket=ticket, recipient_email=UserFactory().email)
    with pytest.raises(NotFound):
        ticket_transfer(owner=friend, ticket=ticket, recipient_email="nobody@example.com")

    assert snapshot(ticket) == before


def test_former_owner_holding_a_stale_object_gets_not_found(ticket, friend):
    # given the ticket was sold to someone else since the object was loaded
    buyer = UserFactory()
    Ticket.objects.filter(pk=ticket.pk).update(owner=buyer, status=Ticket.Status.SOLD)
    before = snapshot(ticket)

    with pytest.raises(NotFound):
        offer(ticket, friend.email)

    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    "account", [{"status": User.Status.BANNED}, {"is_active": False}, {"email_verified": False}]
)
def test_owner_who_may_not_trade_cannot_transfer(friend, account):
    ticket = TicketFactory(owner=UserFactory(**account))
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied):
        offer(ticket, friend.email)

    assert snapshot(ticket) == before


def test_ticket_changed_between_read_and_update_is_not_transferred(ticket, friend, monkeypatch):
    # given a listing that lands between the service's read and its UPDATE
    check = services._transferable_check

    def check_then_listed(status):
        check(status)
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.LISTED)

    monkeypatch.setattr(services, "_transferable_check", check_then_listed)
    tickets_before, audit_before = counts()

    # when
    with pytest.raises(TicketNotAvailable) as error:
        offer(ticket, friend.email)

    # then the conditional UPDATE changed no row, and nothing was recorded
    assert error.value.details == {"reason": "CHANGED"}
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.TRANSFER_PENDING
    assert counts() == (tickets_before, audit_before)
    assert not TicketTransfer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_offers_of_one_ticket_hold_it_once(monkeypatch):
    # given one ticket, and its owner sending it to 8 people at once
    ticket = TicketFactory()
    recipients = [f"friend{n}@example.com" for n in range(8)]
    check = services._transferable_check
    all_read = threading.Barrier(len(recipients), timeout=30)

    def check_then_wait(status):  # every attempt reads the ticket before any UPDATE
        try:
            check(status)
        finally:
            all_read.wait()

    monkeypatch.setattr(services, "_transferable_check", check_then_wait)

    # when
    results, _ = run_in_threads([lambda r=r: offer(ticket, r) for r in recipients])
    outcomes = Counter(
        "offered"
        if isinstance(r, TicketTransfer)
        else type(r).__name__
        if isinstance(r, TicketNotAvailable | NotFound)
        else f"error: {r!r}"
        for r in results
    )

    # then
    print(f"\n[transfer race] attempts={len(recipients)} outcomes={dict(outcomes)}")
    assert outcomes["offered"] == 1
    assert outcomes["offered"] + outcomes["TicketNotAvailable"] == 8
    # Every loser passed the check: the conditional UPDATE refused it.
    refusals = [r.details for r in results if isinstance(r, TicketNotAvailable)]
    assert refusals == [{"reason": "CHANGED"}] * 7
    assert TicketTransfer.objects.count() == 1
    assert AuditLog.objects.filter(action="ticket.transfer_offered").count() == 1


# --- Claim ----------------------------------------------------------------------------


def test_the_recipient_claims_the_ticket_with_the_emailed_code(ticket, friend):
    owner = ticket.owner
    offer(ticket, friend.email)

    result = ticket_transfer_claim(
        user=friend, code=code_emailed_to(friend.email), ip_address="192.0.2.9"
    )

    ticket.refresh_from_db()
    assert result == ticket
    assert (ticket.owner, ticket.status) == (friend, Ticket.Status.TRANSFERRED)
    transfer = TicketTransfer.objects.get()
    assert (transfer.status, transfer.recipient) == ("claimed", friend)
    entry = AuditLog.objects.get(action="ticket.transferred")
    assert (entry.actor, entry.ip_address) == (friend, "192.0.2.9")
    assert entry.changes["owner"] == {"from": owner.pk, "to": friend.pk}
    assert entry.changes["status"] == {"from": "transfer_pending", "to": "transferred"}
    notice = friend.notifications.get()
    assert (notice.type, notice.payload["ticket_id"]) == ("ticket_received", ticket.pk)


def test_someone_new_signs_up_with_the_address_then_claims(ticket):
    offer(ticket, "newcomer@example.com")
    code = code_emailed_to("newcomer@example.com")
    newcomer = UserFactory(email="newcomer@example.com", email_verified=False)

    # Before the address is confirmed, the ticket waits.
    with pytest.raises(PermissionDenied) as error:
        ticket_transfer_claim(user=newcomer, code=code)
    assert error.value.details == {"reason": "EMAIL_NOT_VERIFIED"}

    User.objects.filter(pk=newcomer.pk).update(email_verified=True)
    newcomer.refresh_from_db()
    ticket_transfer_claim(user=newcomer, code=code)

    ticket.refresh_from_db()
    assert ticket.owner == newcomer


def test_the_recipient_may_pass_a_claimed_ticket_on(ticket, friend):
    offer(ticket, friend.email)
    ticket = ticket_transfer_claim(user=friend, code=code_emailed_to(friend.email))
    third = UserFactory()

    ticket_transfer(owner=friend, ticket=ticket, recipient_email=third.email)
    ticket_transfer_claim(user=third, code=code_emailed_to(third.email))

    ticket.refresh_from_db()
    assert (ticket.owner, ticket.status) == (third, Ticket.Status.TRANSFERRED)


def test_another_account_cannot_claim_with_the_code(ticket, friend):
    offer(ticket, friend.email)
    code = code_emailed_to(friend.email)
    before = snapshot(ticket)

    for intruder in (UserFactory(), ticket.owner):
        with pytest.raises(PermissionDenied) as error:
            ticket_transfer_claim(user=intruder, code=code)
        assert error.value.details == {"reason": "WRONG_ACCOUNT"}

    assert snapshot(ticket) == before


def test_an_unknown_code_is_not_found(friend):
    with pytest.raises(NotFound):
        ticket_transfer_claim(user=friend, code="not-a-code")


def test_a_code_works_once(ticket, friend):
    offer(ticket, friend.email)
    code = code_emailed_to(friend.email)
    ticket_transfer_claim(user=friend, code=code)

    with pytest.raises(TicketNotAvailable) as error:
        ticket_transfer_claim(user=friend, code=code)

    assert error.value.details == {"reason": "CLAIMED"}


# --- Cancel and expiry -------------------------------------------------------------


@pytest.mark.parametrize("before", [Ticket.Status.AVAILABLE, Ticket.Status.TRANSFERRED])
def test_the_sender_takes_the_ticket_back_as_it_was(friend, before):
    ticket = TicketFactory(status=before)
    offer(ticket, friend.email)
    code = code_emailed_to(friend.email)

    ticket_transfer_cancel(owner=ticket.owner, ticket=ticket, ip_address="192.0.2.1")

    ticket.refresh_from_db()
    assert ticket.status == before
    assert TicketTransfer.objects.get().status == "cancelled"
    assert AuditLog.objects.filter(action="ticket.transfer_cancelled").count() == 1
    with pytest.raises(TicketNotAvailable) as error:
        ticket_transfer_claim(user=friend, code=code)
    assert error.value.details == {"reason": "CANCELLED"}


def test_nothing_to_take_back_is_not_found(ticket):
    with pytest.raises(NotFound):
        ticket_transfer_cancel(owner=ticket.owner, ticket=ticket)


def test_an_unclaimed_transfer_expires_and_the_ticket_comes_back(ticket, friend):
    offer(ticket, friend.email)
    code = code_emailed_to(friend.email)

    # not yet
    assert ticket_transfers_expire() == 0
    # when the hold is over
    later = timezone.now() + timedelta(days=8)
    assert ticket_transfers_expire(now=later) == 1
    assert ticket_transfers_expire(now=later) == 0  # a second run changes nothing

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AVAILABLE
    assert TicketTransfer.objects.get().status == "expired"
    assert AuditLog.objects.get(action="ticket.transfer_expired").actor is None
    assert "back under your tickets" in Email.objects.filter(to=ticket.owner.email).get().body
    with pytest.raises(TicketNotAvailable):
        ticket_transfer_claim(user=friend, code=code)


def test_a_code_past_its_hold_is_refused_before_the_job_runs(ticket, friend):
    offer(ticket, friend.email)
    TicketTransfer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(TicketNotAvailable) as error:
        ticket_transfer_claim(user=friend, code=code_emailed_to(friend.email))

    assert error.value.details == {"reason": "EXPIRED"}


def test_the_periodic_task_expires_transfers():
    from tickets.tasks import ticket_transfers_expire as task

    assert task.apply().get() == 0


# --- No account enumeration ------------------------------------------------------


def _transfer_answer(api_as, sender, ticket, email):
    response = api_as(sender).post(
        f"/api/v1/tickets/{ticket.pk}/transfer", {"recipient_email": email}, format="json"
    )
    body = response.json()
    # What legitimately differs: the ticket's own fields and the time.
    body["meta"].pop("timestamp", None)
    if body.get("success"):
        for key in ("id", "seat", "created_at", "updated_at", "file_url", "barcode_last4"):
            body["data"].pop(key, None)
        body["data"]["pending_transfer"].pop("expires_at", None)
        body["data"]["pending_transfer"]["recipient_email"] = "<typed>"
    return response.status_code, body


def test_transfer_answers_a_registered_and_an_unknown_address_alike(api_as):
    sender = UserFactory()
    UserFactory(email="friend@example.com")
    first = TicketFactory(owner=sender)
    second = TicketFactory(owner=sender, event=first.event)

    known = _transfer_answer(api_as, sender, first, "friend@example.com")
    unknown = _transfer_answer(api_as, sender, second, "nobody@example.com")

    assert known == unknown
    assert known[0] == 202


@pytest.mark.parametrize(
    "account", [{}, {"status": User.Status.BANNED}, {"email_verified": False}, None]
)
def test_the_site_answers_every_kind_of_address_alike(account):
    sender = UserFactory()
    if account is not None:
        UserFactory(email="them@example.com", **account)
    client = Client()
    client.force_login(sender)
    ticket = TicketFactory(owner=sender)

    response = client.post(
        f"/tickets/{ticket.pk}/transfer/", {"recipient_email": "them@example.com"}, follow=True
    )

    assert response.redirect_chain == [("/tickets/", 302)]
    page = response.content.decode()
    assert "We emailed them@example.com a link to claim your ticket" in page
    assert "Take it back" in page
    assert Email.objects.filter(to="them@example.com").count() == 1


# --- The site's pages ---------------------------------------------------------------


def test_my_tickets_offers_a_transfer_and_shows_one_waiting(client, ticket):
    client.force_login(ticket.owner)

    page = client.get("/tickets/").content.decode()
    assert f'href="/tickets/{ticket.pk}/transfer/"' in page

    client.post(f"/tickets/{ticket.pk}/transfer/", {"recipient_email": "friend@example.com"})
    page = client.get("/tickets/").content.decode()

    assert "Sent to friend@example.com" in page
    assert f'action="/tickets/{ticket.pk}/transfer/cancel/"' in page
    assert f'href="/tickets/{ticket.pk}/transfer/"' not in page


def test_a_bad_address_on_the_page_is_refused_next_to_the_field(client, ticket, db_snapshot):
    client.force_login(ticket.owner)
    before = db_snapshot()

    for typed in ("not-an-address", ticket.owner.email):
        response = client.post(f"/tickets/{ticket.pk}/transfer/", {"recipient_email": typed})
        assert response.status_code == 200
        assert response.context["form"].errors["recipient_email"]

    assert db_snapshot() == before


def test_the_sender_takes_the_ticket_back_from_my_tickets(client, ticket):
    client.force_login(ticket.owner)
    client.post(f"/tickets/{ticket.pk}/transfer/", {"recipient_email": "friend@example.com"})

    response = client.post(f"/tickets/{ticket.pk}/transfer/cancel/", follow=True)

    assert "is yours again" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AVAILABLE


def test_the_claim_link_asks_a_visitor_to_log_in_first(ticket, friend):
    offer(ticket, friend.email)
    path = f"/tickets/claim/{code_emailed_to(friend.email)}/"

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/tickets/claim/")


def test_the_recipient_accepts_the_ticket_on_the_claim_page(client, ticket, friend):
    offer(ticket, friend.email)
    path = f"/tickets/claim/{code_emailed_to(friend.email)}/"
    client.force_login(friend)

    page = client.get(path)
    assert page.status_code == 200
    assert "Accept the ticket" in page.content.decode()
    accepted = client.post(path, follow=True)

    assert accepted.redirect_chain == [("/tickets/", 302)]
    ticket.refresh_from_db()
    assert ticket.owner == friend


def test_another_account_on_the_claim_page_is_told_and_nothing_changes(client, ticket, friend):
    offer(ticket, friend.email)
    path = f"/tickets/claim/{code_emailed_to(friend.email)}/"
    client.force_login(UserFactory())

    response = client.post(path)

    assert response.status_code == 400
    assert "sent to another address" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRANSFER_PENDING


def test_an_unknown_claim_code_is_404(client, friend):
    client.force_login(friend)

    assert client.get("/tickets/claim/not-a-code/").status_code == 404


def test_a_transfer_does_the_same_work_for_a_known_and_an_unknown_address(api_as):
    # The time must not tell them apart either: the same queries, one email each.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sender = UserFactory()
    UserFactory(email="friend@example.com")
    first, second = TicketFactory(owner=sender), TicketFactory(owner=sender)
    client = api_as(sender)

    def queries(ticket, email):
        with CaptureQueriesContext(connection) as captured:
            client.post(f"/api/v1/tickets/{ticket.pk}/transfer", {"recipient_email": email})
        return len(captured)

    assert queries(first, "friend@example.com") == queries(second, "nobody@example.com")
