"""The audit rows of one change written together (audit_log_write): one
INSERT, in the order given, only inside the change's transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.core.audit import audit_entry, audit_log_write, audit_status_entry
from marketplace.core.models import AuditLog
from marketplace.core.request_id import request_id_bound
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_rows_of_one_change_are_written_in_one_statement_in_order():
    ticket = TicketFactory()
    owner = ticket.owner

    with request_id_bound("req-audit-0001"), CaptureQueriesContext(connection) as queries:
        written = audit_log_write(
            audit_entry(actor=owner, action="ticket.uploaded", entity=ticket, changes={"a": 1}),
            audit_status_entry(
                actor=None,
                action="ticket.reserved",
                entity=ticket,
                old="listed",
                new="reserved",
                ip_address="203.0.113.9",
            ),
        )

    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    rows = list(AuditLog.objects.filter(pk__in=[w.pk for w in written]).order_by("pk"))
    assert [(r.action, r.actor, r.entity_type, r.entity_id) for r in rows] == [
        ("ticket.uploaded", owner, "ticket", str(ticket.pk)),
        ("ticket.reserved", None, "ticket", str(ticket.pk)),
    ]
    assert rows[0].changes == {"a": 1}
    assert rows[1].changes == {"status": {"from": "listed", "to": "reserved"}}
    assert rows[1].ip_address == "203.0.113.9"
    assert {r.request_id for r in rows} == {"req-audit-0001"}
    assert all(r.created_at is not None for r in rows)


@pytest.mark.django_db(transaction=True)
def test_the_rows_must_be_written_inside_the_changes_transaction():
    ticket = TicketFactory()

    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit_log_write(audit_entry(actor=None, action="ticket.voided", entity=ticket))

    assert not AuditLog.objects.exists()
