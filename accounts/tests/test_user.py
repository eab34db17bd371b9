import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.selectors import user_can_organize, user_can_trade
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_lower_case():
    user = User.objects.create_user("Fan.One@Example.COM", "pw-for-tests-123")

    assert user.email == "fan.one@example.com"


def test_emails_differing_only_by_case_are_refused_by_the_database():
    User.objects.create_user("ann@example.com", "pw-for-tests-123")

    # Bypass the manager's normalisation: the database itself refuses.
    with pytest.raises(IntegrityError, match="users_email_ci_unique"), transaction.atomic():
        User(email="ANN@example.com").save()


def test_login_works_whatever_the_case_of_the_email():
    UserFactory(email="case@example.com")

    assert authenticate(username="CASE@Example.com", password="correct-horse-battery")
    assert authenticate(username="case@example.com", password="wrong") is None


def test_a_login_stamps_last_login_at(client):
    user = UserFactory()
    assert user.last_login_at is None

    assert client.login(username=user.email, password="correct-horse-battery")

    user.refresh_from_db()
    assert user.last_login_at is not None


def test_new_users_are_active_buyers_and_sellers_once_their_address_is_confirmed():
    user = User.objects.create_user("new@example.com", "pw-for-tests-123")

    assert (user.role, user.status, user.email_verified) == (
        User.Role.USER,
        User.Status.ACTIVE,
        False,
    )
    assert not user_can_trade(user=user)
    user.email_verified = True
    assert user_can_trade(user=user)
    assert not user_can_organize(user=user)
    assert user.preferences == {}


@pytest.mark.parametrize("status", [User.Status.SUSPENDED, User.Status.BANNED])
def test_suspended_and_banned_users_cannot_trade(status):
    assert not user_can_trade(user=UserFactory(status=status))


def test_superusers_are_staff_admins():
    user = User.objects.create_superuser("boss@example.com", "pw-for-tests-123")

    assert (user.is_staff, user.is_superuser, user.role) == (True, True, User.Role.ADMIN)
