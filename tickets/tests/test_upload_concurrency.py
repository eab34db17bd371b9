"""One barcode, one ticket (ARCHITECTURE.md, rule 4) when uploads of it race; and
one file, one ticket.

Real parallel connections: each thread is its own PostgreSQL session, the
uploads start together at a barrier. The service's pre-check is a plain
SELECT; the tests hold every attempt between that SELECT and its INSERT until
all have passed the check (a barrier), so that the result does not depend on
thread scheduling. The first test shows the race is real
without the partial unique index; the next ones that the index settles it.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from marketplace.core.errors import DuplicateTicket
from marketplace.core.models import AuditLog
from marketplace.testing import run_in_threads
from tickets.models import Ticket
from tickets.services import upload as services
from tickets.tests.files import pdf_upload
from tickets.tests.helpers import stored_files

ATTEMPTS = 8
BARCODE = "RACE-0000-0000-4242"


def race(*, event, owners, same_file=False) -> tuple[Counter, float]:
    """Upload BARCODE for `event` once per owner, all at once; count the outcomes.

    Each owner's file carries BARCODE as a QR code and is a file of its own (its
    own bytes), so that the barcode guard decides; with `same_file`, every owner
    sends the very same file without a code, typing a barcode of their own, so
    that the file guard decides.
    """
    if same_file:
        content = pdf_upload(None).read()
        uploads = [
            {"barcode": f"RACE-TYPED-{i:04d}", "file": pdf_upload(None)} for i in range(len(owners))
        ]
        for item in uploads:
            assert item["file"].read() == content
            item["file"].seek(0)
    else:
        uploads = [
            {"barcode": "", "file": pdf_upload(BARCODE, lines=[f"Copy {i}"])}
            for i in range(len(owners))
        ]
    results, elapsed = run_in_threads(
        [
            lambda owner=owner, item=item: services.ticket_upload(
                owner=owner, event=event, face_value="40.00", **item
            )
            for owner, item in zip(owners, uploads, strict=True)
        ]
    )

    def outcome(result):
        if isinstance(result, Ticket):
            return "ticket"
        if isinstance(result, DuplicateTicket):
            return "duplicate"
        return f"error: {result!r}"  # counted, and shown by the assertions

    return Counter(outcome(r) for r in results), elapsed


def report(label: str, outcomes: Counter, elapsed: float) -> None:
    print(
        f"\n[{label}] attempts={sum(outcomes.values())} tickets={outcomes['ticket']}"
        f" duplicates={outcomes['duplicate']} elapsed={elapsed * 1000:.0f} ms"
    )


@pytest.fixture
def widened_check(monkeypatch):
    """Hold each upload between its duplicate SELECTs and its INSERT until every
    upload has made them: a barrier after the last SELECT, in the transaction.
    (Reading each file takes its own time, so a fixed pause would not do.)"""
    lookup = services._active_ticket_with
    barrier = threading.Barrier(ATTEMPTS, timeout=60)

    def held_lookup(**kwargs):
        found = lookup(**kwargs)
        if "barcode_hash" in kwargs and connection.in_atomic_block:
            barrier.wait()
        return found

    monkeypatch.setattr(services, "_active_ticket_with", held_lookup)


@pytest.fixture
def no_barcode_index():
    """Drop the partial unique index for one test; put it back whatever happens."""
    guard = next(c for c in Ticket._meta.constraints if c.name == services.BARCODE_GUARD)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Ticket, guard)
    try:
        yield
    finally:
        # The duplicates the race made would stop the index being rebuilt.
        Ticket.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Ticket, guard)


@pytest.mark.django_db(transaction=True)
def test_without_the_unique_index_racing_uploads_create_duplicate_tickets(
    widened_check, no_barcode_index, private_dir
):
    # given the SELECT-then-INSERT check alone
    event, owners = EventFactory(), UserFactory.create_batch(ATTEMPTS)

    # when
    outcomes, elapsed = race(event=event, owners=owners)

    # then more than one ticket has the same barcode: the check alone is not enough
    report("unguarded", outcomes, elapsed)
    assert outcomes["ticket"] > 1
    assert Ticket.objects.filter(event=event).count() == outcomes["ticket"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("window", ["widened", "natural"])
def test_racing_uploads_of_one_barcode_make_exactly_one_ticket(request, window, private_dir):
    # given
    if window == "widened":
        request.getfixturevalue("widened_check")
    event, owners = EventFactory(), UserFactory.create_batch(ATTEMPTS)

    # when
    outcomes, elapsed = race(event=event, owners=owners)

    # then one winner, every other attempt a clean DuplicateTicket (never a 500)
    report(f"guarded, {window} window", outcomes, elapsed)
    assert outcomes == Counter(ticket=1, duplicate=ATTEMPTS - 1)
    (ticket,) = Ticket.objects.filter(event=event)
    assert stored_files(private_dir) == [private_dir / ticket.file.name]
    assert AuditLog.objects.filter(action="ticket.uploaded").count() == 1
    refused = AuditLog.objects.filter(action="ticket.duplicate_barcode_refused")
    assert refused.count() == ATTEMPTS - 1
    assert {entry.changes["existing_ticket_id"] for entry in refused} == {ticket.pk}


@pytest.mark.django_db(transaction=True)
def test_racing_uploads_of_one_file_make_exactly_one_ticket(widened_check, private_dir):
    # given one file (no code in it) sent by everyone, each typing another barcode
    event, owners = EventFactory(), UserFactory.create_batch(ATTEMPTS)

    # when
    outcomes, elapsed = race(event=event, owners=owners, same_file=True)

    # then the file guard lets one through; the others are duplicates, audited
    report("one file, guarded", outcomes, elapsed)
    assert outcomes == Counter(ticket=1, duplicate=ATTEMPTS - 1)
    (ticket,) = Ticket.objects.filter(event=event)
    assert stored_files(private_dir) == [private_dir / ticket.file.name]
    refused = AuditLog.objects.filter(action="ticket.duplicate_file_refused")
    assert refused.count() == ATTEMPTS - 1
    assert {entry.changes["existing_ticket_id"] for entry in refused} == {ticket.pk}
