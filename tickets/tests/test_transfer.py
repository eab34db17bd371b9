import time
from collections import Counter

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import run_in_threads
from marketplace.errors import NotFound, PermissionDenied, TicketNotAvailable, ValidationFailed
from marketplace.models import AuditLog
from tickets.models import Ticket
from tickets.services import ticket_transfer
from tickets.services import transfer as services
from tickets.tests.conftest import counts
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return TicketFactory()


@pytest.fixture
def friend():
    return UserFactory(email="friend@example.com")


def snapshot(ticket):
    """What a refused transfer must leave as it found: the row, and the table counts."""
    return Ticket.objects.filter(pk=ticket.pk).values("owner_id", "status").get(), counts()


def test_transfer_gives_the_ticket_to_the_recipient(ticket, friend):
    owner = ticket.owner

    result = ticket_transfer(
        owner=owner, ticket=ticket, recipient_email="  Friend@Example.COM ", ip_address="192.0.2.1"
    )

    ticket.refresh_from_db()
    assert result == ticket
    assert (ticket.owner, ticket.status) == (friend, Ticket.Status.TRANSFERRED)
    entry = AuditLog.objects.get(action="ticket.transferred")
    assert (entry.actor, entry.entity_type, entry.entity_id) == (owner, "ticket", str(ticket.pk))
    assert entry.ip_address == "192.0.2.1"
    assert entry.changes == {
        "owner": {"from": owner.pk, "to": friend.pk},
        "status": {"from": "available", "to": "transferred"},
    }
    notice = friend.notifications.get()
    assert (notice.type, notice.payload["ticket_id"]) == ("ticket_received", ticket.pk)


def test_recipient_may_pass_a_transferred_ticket_on(ticket, friend):
    ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)
    third = UserFactory()

    ticket_transfer(owner=friend, ticket=ticket, recipient_email=third.email)

    ticket.refresh_from_db()
    assert (ticket.owner, ticket.status) == (third, Ticket.Status.TRANSFERRED)
    last = AuditLog.objects.filter(action="ticket.transferred").order_by("-id").first()
    assert last.changes["status"] == {"from": "transferred", "to": "transferred"}


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Ticket.Status.LISTED, "LISTED"),
        (Ticket.Status.RESERVED, "RESERVED"),
        (Ticket.Status.SOLD, "IN_ESCROW"),
        (Ticket.Status.VOID, "VOID"),
    ],
)
def test_ticket_that_is_not_in_hand_cannot_be_transferred(friend, status, reason):
    ticket = TicketFactory(status=status)
    before = snapshot(ticket)

    with pytest.raises(TicketNotAvailable) as error:
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)

    assert error.value.http_status == 409
    assert error.value.details == {"reason": reason, "status": status}
    assert snapshot(ticket) == before


def test_status_read_from_the_database_not_from_the_object_passed_in(ticket, friend):
    # given a listing made since the ticket was loaded
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.LISTED)
    before = snapshot(ticket)

    with pytest.raises(TicketNotAvailable):
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)

    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("nobody@example.com", "UNKNOWN_USER"),
        ("", "UNKNOWN_USER"),
        ("   ", "UNKNOWN_USER"),
        (None, "UNKNOWN_USER"),
    ],
)
def test_recipient_must_be_a_registered_user(ticket, email, reason):
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as error:
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=email)

    assert error.value.details == {"field": "recipient_email", "reason": reason}
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    "account",
    [{"status": User.Status.BANNED}, {"status": User.Status.SUSPENDED}, {"is_active": False}],
)
def test_recipient_who_may_not_trade_is_refused_like_an_unknown_one(ticket, account):
    blocked = UserFactory(**account)
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as error:
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=blocked.email)

    # The same answer as for an unknown address: nothing about another's account.
    assert error.value.details == {"field": "recipient_email", "reason": "UNKNOWN_USER"}
    assert snapshot(ticket) == before


def test_owner_cannot_transfer_to_themselves(ticket):
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as error:
        ticket_transfer(
            owner=ticket.owner, ticket=ticket, recipient_email=ticket.owner.email.upper()
        )

    assert error.value.details == {"field": "recipient_email", "reason": "SELF_TRANSFER"}
    assert snapshot(ticket) == before


def test_someone_else_gets_not_found(ticket, friend):
    before = snapshot(ticket)

    with pytest.raises(NotFound):
        ticket_transfer(owner=friend, ticket=ticket, recipient_email=UserFactory().email)
    # Not even whether an address is registered is told to a non-owner.
    with pytest.raises(NotFound):
        ticket_transfer(owner=friend, ticket=ticket, recipient_email="nobody@example.com")

    assert snapshot(ticket) == before


def test_former_owner_holding_a_stale_object_gets_not_found(ticket, friend):
    # given the ticket was sold to someone else since the object was loaded
    buyer = UserFactory()
    Ticket.objects.filter(pk=ticket.pk).update(owner=buyer, status=Ticket.Status.SOLD)
    before = snapshot(ticket)

    with pytest.raises(NotFound):
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)

    assert snapshot(ticket) == before


@pytest.mark.parametrize("account", [{"status": User.Status.BANNED}, {"is_active": False}])
def test_owner_who_may_not_trade_cannot_transfer(friend, account):
    ticket = TicketFactory(owner=UserFactory(**account))
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied):
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)

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
        ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=friend.email)

    # then the conditional UPDATE changed no row, and nothing was recorded
    assert error.value.details == {"reason": "CHANGED"}
    ticket.refresh_from_db()
    assert ticket.owner_id != friend.pk
    assert counts() == (tickets_before, audit_before)


@pytest.mark.django_db(transaction=True)
def test_racing_transfers_of_one_ticket_hand_it_over_once(monkeypatch):
    # given one ticket, and its owner sending it to 8 people at once
    ticket = TicketFactory()
    recipients = UserFactory.create_batch(8)
    check = services._transferable_check

    def slow_check(status):  # every attempt reads the ticket before any UPDATE
        check(status)
        time.sleep(0.05)

    monkeypatch.setattr(services, "_transferable_check", slow_check)

    # when
    results, _ = run_in_threads(
        [
            lambda r=r: ticket_transfer(owner=ticket.owner, ticket=ticket, recipient_email=r.email)
            for r in recipients
        ]
    )
    outcomes = Counter(
        "transferred"
        if isinstance(r, Ticket)
        else type(r).__name__
        if isinstance(r, TicketNotAvailable | NotFound)
        else f"error: {r!r}"
        for r in results
    )

    # then
    print(f"\n[transfer race] attempts={len(recipients)} outcomes={dict(outcomes)}")
    assert outcomes["transferred"] == 1
    assert outcomes["transferred"] + outcomes["TicketNotAvailable"] + outcomes["NotFound"] == 8
    assert AuditLog.objects.filter(action="ticket.transferred").count() == 1
    ticket.refresh_from_db()
    assert ticket.owner_id == AuditLog.objects.get().changes["owner"]["to"]
