import pytest

from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog
from messaging.masking import CONTACT_HIDDEN, PAYMENT_HIDDEN
from messaging.models import Email, Message, Notification
from messaging.selectors import message_thread
from messaging.services import message_mark_read, message_send
from messaging.tests.factories import MessageFactory
from payments.models import Transaction

pytestmark = pytest.mark.django_db


def test_buyer_writes_to_the_seller_who_is_notified(txn):
    message = message_send(sender=txn.buyer, transaction=txn, body="  Hi! Is it row 12?  \n")

    message.refresh_from_db()
    assert (message.transaction, message.sender, message.read_at) == (txn, txn.buyer, None)
    assert message.body == "Hi! Is it row 12?"
    notification = Notification.objects.get()
    assert (notification.user, notification.type) == (txn.seller, Notification.Type.MESSAGE)
    assert notification.payload == {
        "transaction_id": txn.pk,
        "message_id": message.pk,
        "sender_name": "Bea Buyer",
        "event_name": "Fontaines D.C. & Friends",
    }
    email = Email.objects.get()
    assert (email.to, email.status) == (txn.seller.email, Email.Status.READY)
    assert email.subject == "New message from Bea Buyer about Fontaines D.C. & Friends"
    # a message without contact details leaves no trace in the audit trail
    assert not AuditLog.objects.exists()


def test_seller_writes_to_the_buyer(txn):
    message_send(sender=txn.seller, transaction=txn, body="Sending it tonight.")

    notification = Notification.objects.get()
    assert notification.user == txn.buyer
    assert notification.payload["sender_name"] == "Sam Seller"


def test_a_nameless_sender_is_named_by_role_never_by_email(txn):
    txn.buyer.name = ""
    txn.buyer.save()

    message_send(sender=txn.buyer, transaction=txn, body="Hello")

    assert Notification.objects.get().payload["sender_name"] == "the buyer"
    email = Email.objects.get()
    assert txn.buyer.email.split("@")[0] not in email.subject + email.body


def test_contact_details_are_masked_and_the_attempt_audited(txn):
    body = "Text me on 087 123 4567 and pay paypal.me/sam instead, cheaper!"

    message = message_send(sender=txn.seller, transaction=txn, body=body, ip_address="203.0.113.9")

    message.refresh_from_db()
    assert message.body == (
        f"Text me on {CONTACT_HIDDEN} and pay {PAYMENT_HIDDEN} instead, cheaper!"
    )
    entry = AuditLog.objects.get()
    assert (entry.actor, entry.action, entry.entity_type, entry.entity_id) == (
        txn.seller,
        "message.contact_masked",
        "message",
        str(message.pk),
    )
    assert (entry.changes, entry.ip_address) == ({"transaction_id": txn.pk}, "203.0.113.9")


def test_a_message_of_exactly_the_maximum_length_is_accepted(txn, settings):
    body = "a" * settings.MESSAGE_MAX_LENGTH

    message = message_send(sender=txn.buyer, transaction=txn, body=body)

    assert len(message.body) == settings.MESSAGE_MAX_LENGTH


def test_someone_else_cannot_write_and_learns_nothing(txn, db_snapshot):
    strangers = (UserFactory(), StaffFactory())
    before = db_snapshot()

    for stranger in strangers:
        with pytest.raises(NotFound) as error:
            message_send(sender=stranger, transaction=txn, body="Hi")
        assert error.value.code == "NOT_FOUND"
        assert error.value.message == "Transaction not found."

    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", "EMPTY"), ("   \n\t ", "EMPTY"), ("a" * 2001, "TOO_LONG")],
)
def test_an_empty_or_too_long_body_is_refused(txn, db_snapshot, body, reason):
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as error:
        message_send(sender=txn.buyer, transaction=txn, body=body)

    assert error.value.code == "VALIDATION_ERROR"
    assert error.value.details["field"] == "body"
    assert error.value.details["reason"] == reason
    assert error.value.details["maxLength"] == 2000
    assert db_snapshot() == before


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_a_blocked_account_cannot_send(txn, db_snapshot, status):
    txn.buyer.status = status
    txn.buyer.save(update_fields=["status"])
    before = db_snapshot()

    with pytest.raises(PermissionDenied):
        message_send(sender=txn.buyer, transaction=txn, body="Hello?")

    assert db_snapshot() == before


def test_a_cancelled_purchase_closes_the_conversation(txn, db_snapshot):
    # The caller's instance is stale: the purchase was cancelled meanwhile.
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.CANCELLED)
    before = db_snapshot()

    with pytest.raises(ValidationFailed) as error:
        message_send(sender=txn.buyer, transaction=txn, body="Still there?")

    assert error.value.code == "VALIDATION_ERROR"
    assert error.value.details == {"field": "transaction", "reason": "TRANSACTION_CANCELLED"}
    assert db_snapshot() == before


def test_the_recipient_marks_a_message_read_once_with_its_notification(txn):
    message = message_send(sender=txn.buyer, transaction=txn, body="Hi")
    notification = Notification.objects.get()

    first = message_mark_read(user=txn.seller, message=message)
    read_at = first.read_at
    again = message_mark_read(user=txn.seller, message=message)

    assert read_at is not None
    assert again.read_at == read_at
    message.refresh_from_db()
    notification.refresh_from_db()
    assert message.read_at == notification.read_at == read_at


@pytest.mark.parametrize("who", ["sender", "stranger", "staff"])
def test_only_the_recipient_may_mark_a_message_read(txn, db_snapshot, who):
    message = MessageFactory(transaction=txn, sender=txn.buyer)
    user = {"sender": txn.buyer, "stranger": UserFactory(), "staff": StaffFactory()}[who]
    before = db_snapshot()

    with pytest.raises(NotFound) as error:
        message_mark_read(user=user, message=message)

    assert error.value.code == "NOT_FOUND"
    assert db_snapshot() == before


def test_the_thread_is_oldest_first_for_both_parties_and_staff(txn, django_assert_num_queries):
    first = MessageFactory(transaction=txn, sender=txn.buyer, body="Is it still available?")
    second = MessageFactory(transaction=txn, sender=txn.seller, body="It is.")
    MessageFactory()  # another transaction's

    for party in (txn.buyer, txn.seller, StaffFactory()):
        with django_assert_num_queries(2):
            thread = list(message_thread(user=party, transaction=txn))
            senders = [m.sender.name for m in thread]
        assert thread == [first, second]
        assert senders == ["Bea Buyer", "Sam Seller"]


def test_the_thread_is_not_found_for_anyone_else(txn):
    MessageFactory(transaction=txn)

    with pytest.raises(NotFound):
        message_thread(user=UserFactory(), transaction=txn)


def test_messages_can_be_sent_on_a_purchase_awaiting_payment(txn):
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.PENDING_PAYMENT)

    message_send(sender=txn.buyer, transaction=txn, body="Paying now")

    assert Message.objects.count() == 1
