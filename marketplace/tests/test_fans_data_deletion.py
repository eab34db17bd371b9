"""Delete my account (marketplace.privacy.deletion): refused while money is
held or a dispute is open, otherwise every personal value erased, the books
kept, and no way back in."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Sum
from django.urls import reverse

from accounts.models import ApiSession, TraderDeclaration, User
from accounts.tests.factories import UserFactory
from listings.models import Listing, WaitlistEntry
from marketplace.core.models import AuditLog
from marketplace.privacy.deletion import ERASED_MESSAGE, account_delete
from marketplace.privacy.erasure import ERASED
from marketplace.testing import error_of
from messaging.models import Message, Notification
from payments.models import Dispute, Payout, Transaction
from payments.tests.factories import DisputeFactory, PayoutFactory, TransactionFactory
from tickets.models import Ticket

from .fans_data import PASSWORD, fan_with_everything

pytestmark = pytest.mark.django_db
DELETE_URL = reverse("privacy:account-delete")


def _as_buyer_paid(user):
    TransactionFactory(buyer=user, status=Transaction.Status.PAID)


def _as_seller_reserved(user):
    TransactionFactory(
        listing__ticket__owner=user,
        listing__status=Listing.Status.PENDING,
        status=Transaction.Status.PENDING_PAYMENT,
    )


def _payout_held(user):
    sale = TransactionFactory(listing__ticket__owner=user, status=Transaction.Status.COMPLETED)
    PayoutFactory(transaction=sale, status=Payout.Status.HELD)


def _dispute_open(user):
    txn = TransactionFactory(buyer=user, status=Transaction.Status.DISPUTED)
    DisputeFactory(transaction=txn, status=Dispute.Status.OPEN)


REFUSALS = [
    (_as_buyer_paid, "ACCOUNT_HAS_ESCROW"),
    (_as_seller_reserved, "ACCOUNT_HAS_ESCROW"),
    (_payout_held, "ACCOUNT_HAS_ESCROW"),
    (_dispute_open, "ACCOUNT_HAS_OPEN_DISPUTE"),
]


@pytest.mark.parametrize(("situation", "code"), REFUSALS)
def test_the_page_refuses_with_the_reason_and_changes_nothing(client, db_snapshot, situation, code):
    user = UserFactory()
    situation(user)
    client.force_login(user)
    before = db_snapshot()

    response = client.post(DELETE_URL, {"confirm": "DELETE", "password": PASSWORD})

    assert response.status_code == 200
    assert "You cannot delete your account while" in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize(("situation", "code"), REFUSALS)
def test_the_api_refuses_with_409_and_changes_nothing(api_as, db_snapshot, situation, code):
    user = UserFactory()
    situation(user)
    before = db_snapshot()

    response = api_as(user).delete("/api/v1/users/me", {"password": PASSWORD}, format="json")

    error = error_of(response, 409, code)
    assert error["details"]["reason"] == code
    assert error["details"]["transactions"]
    assert db_snapshot() == before


def test_a_wrong_confirmation_or_password_deletes_nothing(client, api_as):
    user = UserFactory()
    client.force_login(user)

    typo = client.post(DELETE_URL, {"confirm": "delete", "password": PASSWORD})
    wrong = client.post(DELETE_URL, {"confirm": "DELETE", "password": "not-it"})
    api = api_as(user).delete("/api/v1/users/me", {"password": "not-it"}, format="json")

    assert typo.status_code == wrong.status_code == 200
    assert error_of(api, 400, "VALIDATION_ERROR")["details"]["reason"] == "WRONG_PASSWORD"
    user.refresh_from_db()
    assert user.is_active and user.has_usable_password()


def _money():
    txns = Transaction.objects.aggregate(
        price=Sum("final_price"), fee=Sum("platform_fee"), payout=Sum("seller_payout")
    )
    return {
        **txns,
        "payouts": Payout.objects.aggregate(total=Sum("amount"))["total"],
        "rows": (Transaction.objects.count(), Payout.objects.count(), Dispute.objects.count()),
    }


# The account's own fields that stay: what it is, not who it was.
KEPT_FIELDS = {"id", "password", "email", "public_id", "role", "status", "token_version"}


def test_deletion_erases_every_personal_value_and_keeps_the_books(
    client, django_capture_on_commit_callbacks
):
    # given: a fan with data everywhere, settled, and another fan
    fan, other = fan_with_everything(mfa=True), fan_with_everything()
    user = fan.user
    assert Authenticator.objects.filter(user=user).exists()
    old_email, old_name = user.email, user.name
    token_version = user.token_version
    files = list(Ticket.objects.filter(owner=user).values_list("file", flat=True))
    storage = Ticket._meta.get_field("file").storage
    assert files and all(storage.exists(name) for name in files)
    money = _money()
    audit_ids = set(AuditLog.objects.filter(actor=user).values_list("pk", "action"))
    client.force_login(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELETE_URL, {"confirm": old_email.upper(), "password": PASSWORD})

    # then: logged out, and every personal field empty
    assert response.status_code == 302
    user.refresh_from_db()
    for field in User._meta.concrete_fields:
        value = getattr(user, field.attname)
        if field.name in KEPT_FIELDS or not isinstance(value, str | dict | list):
            continue
        assert not value, field.name
    assert user.email == f"deleted-{user.pk}@invalid"
    assert not user.is_active and not user.has_usable_password()
    assert not user.email_verified and user.last_login_at is None
    assert user.token_version > token_version
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not ApiSession.objects.filter(user=user, ended_at__isnull=True).exists()
    declaration = TraderDeclaration.objects.get(user=user)
    assert not any(
        getattr(declaration, name) for name in ("business_name", "address", "phone", "email")
    )
    # what it wrote and received
    assert set(Message.objects.filter(sender=user).values_list("body", flat=True)) == {
        ERASED_MESSAGE
    }
    assert Message.objects.get(pk=fan.other_messages[0].pk).body == "Sent it!"
    assert not Notification.objects.filter(user=user).exists()
    assert not Listing.objects.filter(seller=user, status__in=Listing.OPEN_STATUSES).exists()
    assert not WaitlistEntry.objects.filter(fan=user, state="waiting").exists()
    assert set(Ticket.objects.filter(owner=user).values_list("status", flat=True)) == {"void"}
    assert not any(storage.exists(name) for name in files)
    # the books balance, and the audit trail keeps its ids and actions, scrubbed
    assert _money() == money
    assert audit_ids <= set(AuditLog.objects.filter(actor=user).values_list("pk", "action"))
    rows = AuditLog.objects.filter(actor=user)
    assert not rows.exclude(ip_address=None).exists()
    text = str(list(rows.values_list("changes", flat=True)))
    assert old_email not in text and old_name not in text and ERASED in text
    assert AuditLog.objects.filter(action="user.deleted", entity_id=str(user.pk)).exists()
    # the other fan is untouched
    other.user.refresh_from_db()
    assert other.user.is_active and EmailAddress.objects.filter(user=other.user).exists()


def test_a_deleted_account_cannot_log_in(client, api):
    user = UserFactory()
    email = user.email

    account_delete(user=user)

    assert not client.login(email=email, password=PASSWORD)
    response = api.post("/api/v1/auth/login", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_the_api_deletes_with_204_and_the_token_stops_working(api_as):
    user = UserFactory()
    client = api_as(user)

    response = client.delete("/api/v1/users/me", {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    assert client.get("/api/v1/users/profile").status_code == 401
    user.refresh_from_db()
    assert not user.is_active


def test_deleting_twice_changes_nothing_more():
    user = UserFactory()
    account_delete(user=user)
    rows = AuditLog.objects.count()

    account_delete(user=user)

    assert AuditLog.objects.count() == rows


def test_the_audit_trail_still_refuses_other_updates():
    from django.db import IntegrityError, transaction

    user = UserFactory()
    account_delete(user=user)
    row = AuditLog.objects.filter(actor=user).first()

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(changes={"tampered": True})
