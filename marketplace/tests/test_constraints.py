"""The structural rules hold in the database itself: a violating write fails there."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from events.tests.factories import EventFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from payments.models import Dispute, Transaction
from payments.tests.factories import DisputeFactory, PayoutFactory, TransactionFactory
from tickets.barcodes import barcode_hash
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def refused(constraint_name):
    """Expect the database to refuse the write, naming `constraint_name`."""
    return pytest.raises(IntegrityError, match=constraint_name)


@pytest.fixture
def atomic():
    # Each refused write rolls back only its own savepoint.
    return transaction.atomic


# --- money is never negative -------------------------------------------------


def test_negative_face_value_is_refused(atomic):
    with refused("tickets_face_value_gte_0"), atomic():
        TicketFactory(face_value=Decimal("-0.01"))


def test_negative_listing_price_is_refused(atomic):
    with refused("listings_price_gte_0"), atomic():
        ListingFactory(price=Decimal("-1.00"))


def test_negative_transaction_money_is_refused(atomic):
    with refused("transactions_money_gte_0"), atomic():
        TransactionFactory(
            final_price=Decimal("10.00"),
            platform_fee=Decimal("-0.80"),
            seller_payout=Decimal("10.80"),
        )


def test_fee_and_payout_must_add_up_to_the_price(atomic):
    with refused("transactions_fee_plus_payout_is_price"), atomic():
        TransactionFactory(
            final_price=Decimal("10.00"),
            platform_fee=Decimal("0.80"),
            seller_payout=Decimal("9.00"),
        )


def test_negative_payout_is_refused(atomic):
    with refused("payouts_amount_gte_0"), atomic():
        PayoutFactory(amount=Decimal("-5.00"))


# --- one ticket, one sale --------------------------------------------------------


def test_a_ticket_has_one_open_listing_at_a_time(atomic):
    listing = ListingFactory()

    with refused("listings_one_open_per_ticket"), atomic():
        ListingFactory(ticket=listing.ticket, status=Listing.Status.PENDING)

    listing.status = Listing.Status.CANCELLED
    listing.save()
    relisted = ListingFactory(ticket=listing.ticket)
    assert relisted.status == Listing.Status.ACTIVE


def test_a_listing_has_one_transaction_that_is_not_cancelled(atomic):
    first = TransactionFactory(status=Transaction.Status.CANCELLED)
    second = TransactionFactory(listing=first.listing, status=Transaction.Status.PENDING_PAYMENT)

    with refused("transactions_one_live_per_listing"), atomic():
        TransactionFactory(listing=first.listing, status=Transaction.Status.PAID)

    assert second.listing_id == first.listing_id


def test_a_buyer_cannot_be_the_seller(atomic):
    listing = ListingFactory()

    with refused("transactions_buyer_is_not_seller"), atomic():
        TransactionFactory(listing=listing, buyer=listing.seller)


def test_a_payment_id_belongs_to_one_transaction(atomic):
    TransactionFactory(payment_id="pi_same")

    with refused("transactions_payment_id_unique"), atomic():
        TransactionFactory(payment_id="pi_same")

    # Transactions not yet sent to the gateway have no payment id, any number of them.
    TransactionFactory(payment_id="", status=Transaction.Status.PENDING_PAYMENT)
    TransactionFactory(payment_id="", status=Transaction.Status.PENDING_PAYMENT)


# --- one barcode, one ticket ----------------------------------------------------


def test_a_barcode_is_held_by_one_active_ticket_per_event(atomic):
    event = EventFactory()
    TicketFactory(event=event, barcode="ABC-123-XYZ")

    with refused("tickets_active_barcode_unique"), atomic():
        TicketFactory(event=event, barcode="abc 123 xyz")  # the same barcode, typed differently

    # The same barcode at another event is another ticket.
    TicketFactory(barcode="ABC-123-XYZ")


def test_a_void_ticket_frees_its_barcode(atomic):
    event = EventFactory()
    first = TicketFactory(event=event, barcode="VOID-ME-0001", status=Ticket.Status.VOID)

    second = TicketFactory(event=event, barcode="VOID-ME-0001")

    assert first.barcode_hash == second.barcode_hash == barcode_hash("VOID-ME-0001")


def test_a_barcode_is_never_stored_in_clear(atomic):
    ticket = TicketFactory(barcode="SECRET-BARCODE-9876")

    assert ticket.barcode_last4 == "9876"
    assert "SECRET" not in ticket.barcode_hash
    with refused("tickets_barcode_hash_hex"), atomic():
        TicketFactory(barcode_hash="SECRET-BARCODE-9876")


# --- disputes --------------------------------------------------------------------


def test_a_transaction_has_one_open_dispute_at_a_time(atomic):
    dispute = DisputeFactory()

    with refused("disputes_one_open_per_kind"), atomic():
        DisputeFactory(transaction=dispute.transaction)

    dispute.status = Dispute.Status.REJECTED
    dispute.save()
    DisputeFactory(transaction=dispute.transaction)


def test_a_bank_chargeback_may_stand_beside_the_buyers_own_report(atomic):
    report = DisputeFactory()
    chargeback = {
        "transaction": report.transaction,
        "kind": Dispute.Kind.CHARGEBACK,
        "opened_by": None,
        "reason": Dispute.Reason.BANK_REVERSAL,
    }

    DisputeFactory(**chargeback, stripe_dispute_id="du_one")

    with refused("disputes_one_open_per_kind"), atomic():
        DisputeFactory(**chargeback, stripe_dispute_id="du_two")
    with refused("disputes_opened_by_someone"), atomic():
        DisputeFactory(**{**chargeback, "transaction": DisputeFactory().transaction})


# --- events -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("latitude", Decimal("91"), "events_latitude_range"),
        ("longitude", Decimal("-180.5"), "events_longitude_range"),
        ("currency", "eur", "events_currency_iso3"),
    ],
)
def test_event_fields_out_of_range_are_refused(atomic, field, value, constraint):
    with refused(constraint), atomic():
        EventFactory(**{field: value})


def test_an_events_country_is_an_upper_case_code_in_the_database(atomic):
    # The country field writes the code upper case ("ie" -> "IE"); the
    # database refuses any other form written behind its back.
    event = EventFactory(country="ie")
    event.refresh_from_db()
    assert event.country == "IE"
    with refused("events_country_iso2"), atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE events SET country = 'ie' WHERE id = %s", [event.pk])


def test_a_listing_cannot_expire_before_it_was_listed(atomic):
    listing = ListingFactory()
    listing.expires_at = listing.listed_at.replace(year=listing.listed_at.year - 1)

    with refused("listings_expiry_after_listing"), atomic():
        listing.save()
