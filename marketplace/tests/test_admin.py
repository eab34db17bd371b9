"""Every admin page staff use answers, stays fast, and the audit trail stays intact."""

import datetime
import itertools

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import TraderDeclaration, User
from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from listings.models import Listing, ListingReport, WaitlistEntry, WaitlistOffer, WaitlistRaffle
from listings.tests.factories import ListingFactory, ListingReportFactory
from marketplace.core.models import AuditLog
from messaging.models import Email, Message, Notification
from messaging.tests.factories import EmailFactory, MessageFactory, NotificationFactory
from payments.models import (
    Dispute,
    EventCancellation,
    Payout,
    PayoutAccount,
    StripeEvent,
    Transaction,
)
from payments.tests.factories import (
    DisputeFactory,
    PayoutAccountFactory,
    PayoutFactory,
    TransactionFactory,
)
from tickets.models import Ticket, TicketInReview
from tickets.tests.factories import TicketFactory

_numbers = itertools.count(1)


def make_trader_declaration():
    from accounts.traders import trader_declaration_save

    return trader_declaration_save(
        user=UserFactory(), kind="trader", business_name=f"Trader {next(_numbers)} Ltd"
    )


def make_group():
    return Group.objects.create(name=f"Moderators {next(_numbers)}")


def make_stripe_event():
    n = next(_numbers)
    return StripeEvent.objects.create(
        event_id=f"evt_admin_{n}",
        type="payment_intent.succeeded",
        payload={"id": f"evt_admin_{n}", "type": "payment_intent.succeeded"},
    )


def make_authenticator():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    return TOTP.activate(UserFactory(), generate_totp_secret()).instance


def make_user_session():
    n = next(_numbers)
    return UserSession.objects.create(
        user=UserFactory(),
        ip=f"198.51.100.{n % 250}",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        session_key=f"session{n:033d}",
    )


def make_audit_log():
    return AuditLog.objects.create(
        actor=UserFactory(),
        action="listing.cancelled",
        entity_type="listing",
        entity_id=str(900_000 + next(_numbers)),
        changes={"status": ["active", "cancelled"]},
        ip_address="203.0.113.7",
    )


def make_waitlist_entry():
    now = timezone.now()
    return WaitlistEntry.objects.create(
        event=EventFactory(),
        fan=UserFactory(),
        quantity=1,
        joined_at=now,
        position=int(now.timestamp() * 1_000_000),
    )


def make_waitlist_offer():
    entry = make_waitlist_entry()
    return WaitlistOffer.objects.create(
        listing=ListingFactory(ticket__event=entry.event, status=Listing.Status.PENDING),
        entry=entry,
        state=WaitlistOffer.State.OPEN,
        offered_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(minutes=30),
    )


def make_waitlist_raffle():
    now = timezone.now()
    return WaitlistRaffle.objects.create(
        event=EventFactory(), opens_at=now, closes_at=now + datetime.timedelta(minutes=10)
    )


def make_event_cancellation():
    return EventCancellation.objects.create(event=EventFactory(status=Event.Status.CANCELLED))


def make_ticket_in_review():
    ticket = TicketFactory(
        verification=Ticket.Verification.PENDING_REVIEW,
        barcode_source=Ticket.BarcodeSource.TYPED,
        review_reasons=[Ticket.REVIEW_NO_BARCODE_IN_FILE],
    )
    return TicketInReview.objects.get(pk=ticket.pk)


# model: (factory, a search term that finds the object). Group, registered by
# django.contrib.auth, is included on purpose: staff use it for permissions.
ADMIN_OBJECTS = {
    User: (UserFactory, lambda o: o.email),
    TraderDeclaration: (make_trader_declaration, lambda o: o.business_name),
    Group: (make_group, lambda o: o.name),
    Event: (EventFactory, lambda o: o.name),
    Ticket: (TicketFactory, lambda o: o.owner.email),
    TicketInReview: (make_ticket_in_review, lambda o: o.owner.email),
    Listing: (ListingFactory, lambda o: o.seller.email),
    ListingReport: (ListingReportFactory, lambda o: o.reporter.email),
    # The waiting list (listings.waitlist).
    WaitlistEntry: (make_waitlist_entry, lambda o: o.fan.email),
    WaitlistOffer: (make_waitlist_offer, lambda o: o.entry.fan.email),
    WaitlistRaffle: (make_waitlist_raffle, lambda o: o.event.name),
    Transaction: (TransactionFactory, lambda o: o.payment_id),
    Payout: (PayoutFactory, lambda o: o.seller.email),
    PayoutAccount: (PayoutAccountFactory, lambda o: o.stripe_account_id),
    Dispute: (DisputeFactory, lambda o: o.opened_by.email),
    EventCancellation: (make_event_cancellation, lambda o: o.event.name),
    Message: (MessageFactory, lambda o: o.sender.email),
    Notification: (NotificationFactory, lambda o: o.user.email),
    AuditLog: (make_audit_log, lambda o: o.entity_id),
    StripeEvent: (make_stripe_event, lambda o: o.event_id),
    Email: (EmailFactory, lambda o: o.to),
    # Two-step login and logged-in devices (marketplace/admin_security.py).
    Authenticator: (make_authenticator, lambda o: o.user.email),
    UserSession: (make_user_session, lambda o: o.user.email),
}
# Everything else is created by the services (upload, listing, purchase...); a
# raffle's "add" opens one through the waiting list's service.
ADDABLE_IN_ADMIN = {User, Group, Event, WaitlistRaffle}

MODELS = sorted(ADMIN_OBJECTS, key=lambda m: m._meta.label)
model_ids = [m._meta.label for m in MODELS]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_every_registered_model_is_covered():
    assert set(admin.site._registry) == set(ADMIN_OBJECTS)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_ids)
def test_staff_see_the_changelist_and_change_page(staff_client, model):
    factory, _ = ADMIN_OBJECTS[model]
    obj = factory()

    changelist = staff_client.get(admin_url(model, "changelist"))
    change = staff_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert obj in changelist.context["cl"].result_list
    assert change.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_ids)
def test_add_page_answers_only_where_staff_may_add(staff_client, model):
    response = staff_client.get(admin_url(model, "add"))

    assert response.status_code == (200 if model in ADDABLE_IN_ADMIN else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_ids)
def test_changelist_query_count_does_not_grow_with_rows(staff_client, model):
    factory, _ = ADMIN_OBJECTS[model]
    url = admin_url(model, "changelist")
    for _ in range(3):
        factory()
    staff_client.get(url)  # warm up (session, content types)

    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    for _ in range(12):
        factory()
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url)

    assert len(response.context["cl"].result_list) >= 15
    assert len(many.captured_queries) == len(few.captured_queries), [
        q["sql"] for q in many.captured_queries
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_ids)
def test_search_box_finds_the_object(staff_client, model):
    factory, search_term = ADMIN_OBJECTS[model]
    wanted, other = factory(), factory()

    response = staff_client.get(admin_url(model, "changelist"), {"q": search_term(wanted)})

    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert wanted in results
    assert other not in results


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_ids)
def test_non_staff_are_sent_to_the_admin_login(client, model):
    client.force_login(UserFactory())

    response = client.get(admin_url(model, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_ticket_admin_never_shows_the_barcode_hash_and_finds_a_ticket_by_barcode(staff_client):
    ticket = TicketFactory(barcode="ENC-7777-1234")
    TicketFactory()

    change = staff_client.get(admin_url(Ticket, "change", ticket.pk))
    search = staff_client.get(admin_url(Ticket, "changelist"), {"q": "enc 7777 1234"})

    body = change.content.decode()
    assert ticket.barcode_hash not in body
    assert "1234" in body
    assert ticket.file.name in body
    assert 'name="face_value"' not in body
    assert list(search.context["cl"].result_list) == [ticket]


@pytest.mark.django_db
def test_money_is_shown_with_its_currency_and_the_sale_with_its_records(staff_client):
    transaction = TransactionFactory()
    PayoutFactory(transaction=transaction)
    DisputeFactory(transaction=transaction)
    MessageFactory(transaction=transaction, body="Sent it by email yesterday.")

    listings = staff_client.get(admin_url(Listing, "changelist"))
    change = staff_client.get(admin_url(Transaction, "change", transaction.pk))

    assert "55.00 EUR" in listings.content.decode()
    body = change.content.decode()
    assert "55.00 EUR" in body
    assert "4.40 EUR" in body
    assert "50.60 EUR" in body
    assert "Sent it by email yesterday." in body
    assert "I did not receive the ticket" in body


@pytest.mark.django_db
def test_transaction_admin_cannot_change_money_or_status(staff_client):
    transaction = TransactionFactory()

    response = staff_client.post(
        admin_url(Transaction, "change", transaction.pk),
        {"final_price": "1.00", "status": "refunded", "payment_id": "pi_forged"},
    )

    assert response.status_code == 403
    transaction.refresh_from_db()
    assert (transaction.final_price, transaction.status) == (55, Transaction.Status.PAID)


@pytest.mark.django_db
def test_dispute_note_is_saved_and_audited_but_status_is_not_editable(staff_client):
    dispute = DisputeFactory()

    response = staff_client.post(
        admin_url(Dispute, "change", dispute.pk),
        {"resolution_note": "Asked the seller for proof of transfer.", "status": "rejected"},
    )

    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.resolution_note == "Asked the seller for proof of transfer."
    assert dispute.status == Dispute.Status.OPEN
    log = AuditLog.objects.get(entity_type="dispute", entity_id=str(dispute.pk))
    assert log.action == "dispute.admin_changed"
    assert set(log.changes) == {"resolution_note"}


@pytest.mark.django_db
def test_audit_log_admin_refuses_add_change_and_delete(staff_client):
    log = make_audit_log()

    add = staff_client.post(admin_url(AuditLog, "add"), {"action": "forged"})
    change = staff_client.post(admin_url(AuditLog, "change", log.pk), {"action": "forged"})
    delete = staff_client.post(admin_url(AuditLog, "delete", log.pk), {"post": "yes"})
    bulk = staff_client.post(
        admin_url(AuditLog, "changelist"),
        {"action": "delete_selected", admin.helpers.ACTION_CHECKBOX_NAME: [log.pk], "post": "yes"},
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code == 200  # no such action: the list is shown again
    assert list(AuditLog.objects.values_list("pk", "action")) == [(log.pk, log.action)]
    model_admin = admin.site._registry[AuditLog]
    assert "delete_selected" not in model_admin.get_actions(bulk.wsgi_request)


@pytest.mark.django_db
def test_any_staff_member_may_read_the_audit_log(client):
    staff = UserFactory(is_staff=True)  # no model permissions at all
    client.force_login(staff)
    log = make_audit_log()

    assert client.get(admin_url(AuditLog, "changelist")).status_code == 200
    assert client.get(admin_url(AuditLog, "change", log.pk)).status_code == 200
