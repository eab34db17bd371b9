import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from marketplace.core.audit import audit_log_record
from marketplace.core.models import AuditLog
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_audit_log_records_actor_entity_and_changes():
    ticket = TicketFactory()

    entry = audit_log_record(
        actor=ticket.owner,
        action="ticket.uploaded",
        entity=ticket,
        changes={"status": [None, "available"]},
        ip_address="203.0.113.7",
    )

    entry.refresh_from_db()
    assert (entry.actor, entry.entity_type, entry.entity_id) == (
        ticket.owner,
        "ticket",
        str(ticket.pk),
    )
    assert entry.changes == {"status": [None, "available"]}
    assert entry.ip_address == "203.0.113.7"


@pytest.mark.django_db(transaction=True)
def test_audit_log_must_be_written_inside_the_changes_transaction():
    # transaction=True: no test-wide transaction, so this runs in autocommit.
    ticket = TicketFactory()

    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit_log_record(actor=None, action="ticket.voided", entity=ticket)

    assert not AuditLog.objects.exists()


def test_audit_logs_cannot_be_edited_or_deleted():
    entry = audit_log_record(actor=None, action="listing.expired", entity=TicketFactory())

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(action="listing.cancelled")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).delete()

    entry.refresh_from_db()
    assert entry.action == "listing.expired"


def test_removing_a_users_account_keeps_their_audit_trail():
    user = UserFactory()
    entry = audit_log_record(actor=user, action="user.suspended", entity=user)

    # Staff may erase an account (e.g. a deletion request); the trail stays, anonymous.
    AuditLog.objects.filter(pk=entry.pk).update(actor=None)

    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.action == "user.suspended"


def test_every_action_a_service_builds_from_a_value_is_named():
    """Services that build an action from a status or a kind ("dispute.<status>",
    "ticket.duplicate_<kind>_refused") only ever build a named one."""
    from marketplace.core.audit import AuditAction
    from payments.models import Dispute

    settled = [s for s in Dispute.Status.values if s != Dispute.Status.OPEN]
    built = [f"dispute.{status}" for status in settled] + [
        f"ticket.duplicate_{kind}_refused" for kind in ("file", "barcode")
    ]

    assert all(AuditAction(action) for action in built)
