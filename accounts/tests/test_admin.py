import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.models import AuditLog

ADD_URL = reverse("admin:accounts_user_add")
PASSWORD = "a-long-unusual-passphrase-42"


@pytest.fixture
def staff(client):
    staff = StaffFactory()
    client.force_login(staff)
    return staff


def change_form_data(user, **overrides):
    """The user change form as the browser posts it (unticked boxes are absent)."""
    data = {
        "email": user.email,
        "name": user.name,
        "phone": user.phone,
        "avatar_url": user.avatar_url,
        "preferences": "{}",
        "initial-preferences": "{}",
        "role": user.role,
        "status": user.status,
        "is_active": "on",
        "email_verified": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_staff_create_a_user_whose_email_is_stored_lower_case(client, staff):
    response = client.post(
        ADD_URL,
        {
            "email": "  New.Fan@Example.COM ",
            "name": "New Fan",
            "role": User.Role.USER,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.fan@example.com")
    assert user.check_password(PASSWORD)
    log = AuditLog.objects.get(action="user.admin_created")
    assert (log.actor, log.entity_id) == (staff, str(user.pk))
    assert "password" not in log.changes


@pytest.mark.django_db
def test_an_email_differing_only_by_case_is_refused(client, staff):
    UserFactory(email="taken@example.com")

    response = client.post(
        ADD_URL,
        {
            "email": "Taken@Example.com",
            "role": User.Role.USER,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors["email"])
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.django_db
def test_changing_a_user_email_keeps_it_lower_case_and_unique(client, staff):
    UserFactory(email="taken@example.com")
    user = UserFactory(email="fan@example.com")
    url = reverse("admin:accounts_user_change", args=[user.pk])

    refused = client.post(url, change_form_data(user, email="TAKEN@example.com"))
    accepted = client.post(url, change_form_data(user, email="Fan.Renamed@Example.com"))

    assert refused.status_code == 200
    assert "email" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert user.email == "fan.renamed@example.com"


@pytest.mark.django_db
def test_suspending_a_user_in_the_admin_is_audited(client, staff):
    user = UserFactory()

    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        change_form_data(user, status=User.Status.SUSPENDED),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.status == User.Status.SUSPENDED
    log = AuditLog.objects.get(entity_type="user", entity_id=str(user.pk))
    assert log.action == "user.admin_changed"
    assert log.actor == staff
    assert log.changes == {"status": {"from": "active", "to": "suspended"}}


@pytest.mark.django_db
def test_user_admin_filters_by_role_status_staff_and_verification(client, staff):
    organizer = UserFactory(role=User.Role.ORGANIZER, status=User.Status.SUSPENDED)
    UserFactory(email_verified=False)

    response = client.get(
        reverse("admin:accounts_user_changelist"),
        {"role__exact": "organizer", "status__exact": "suspended", "email_verified__exact": "1"},
    )

    assert list(response.context["cl"].result_list) == [organizer]


@pytest.mark.django_db
def test_user_admin_searches_name_and_phone(client, staff):
    user = UserFactory(name="Aoife Byrne", phone="+353 87 555 0101")
    UserFactory(name="Someone Else")

    by_name = client.get(reverse("admin:accounts_user_changelist"), {"q": "aoife"})
    by_phone = client.get(reverse("admin:accounts_user_changelist"), {"q": "555 0101"})

    assert list(by_name.context["cl"].result_list) == [user]
    assert list(by_phone.context["cl"].result_list) == [user]
