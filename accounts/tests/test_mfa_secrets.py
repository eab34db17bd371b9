"""Two-step login secrets at rest (accounts/mfa.py): encrypted, readable after a
SECRET_KEY rotation that keeps the old key as a fallback, and what staff may
and may not do with them in the admin."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accounts.tests.factories import StaffFactory, UserFactory, recovery_codes, totp_code
from marketplace.core.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_the_totp_secret_and_the_recovery_seed_are_not_stored_in_the_clear():
    staff = StaffFactory()

    stored = {a.type: a.data for a in Authenticator.objects.filter(user=staff)}

    assert staff.totp_secret not in str(stored)
    assert stored["totp"]["secret"].startswith("gAAAA")  # a Fernet token
    assert stored["recovery_codes"]["seed"].startswith("gAAAA")
    totp = Authenticator.objects.get(user=staff, type="totp").wrap()
    assert totp.validate_code(totp_code(staff.totp_secret))


def test_codes_still_work_after_secret_key_rotation_with_the_old_key_kept(settings):
    staff = StaffFactory()
    codes = recovery_codes(staff)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-the-rotation-test-0123456789"

    totp = Authenticator.objects.get(user=staff, type="totp").wrap()

    assert isinstance(totp, TOTP) and totp.validate_code(totp_code(staff.totp_secret))
    assert recovery_codes(staff) == codes


def test_a_secret_key_change_without_the_fallback_is_said_plainly(settings):
    staff = StaffFactory()
    settings.SECRET_KEY = "another-secret-key-without-the-old-one-kept-0123456789"

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FALLBACKS"):
        recovery_codes(staff)


# --- In the admin ----------------------------------------------------------------------


def test_staff_see_who_has_two_step_login_but_never_a_secret(client):
    client.force_login(StaffFactory())
    member = UserFactory(mfa=True)
    totp = Authenticator.objects.get(user=member, type="totp")

    listing = client.get("/admin/mfa/authenticator/", {"q": member.email})
    page = client.get(f"/admin/mfa/authenticator/{totp.pk}/change/")

    assert list(listing.context["cl"].result_list)[0].user == member
    body = page.content.decode()
    assert member.email in body
    assert totp.data["secret"] not in body
    assert 'name="data"' not in body
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403


def test_staff_remove_a_members_lost_authenticator_and_it_is_audited(client):
    staff = StaffFactory()
    client.force_login(staff)
    member = UserFactory(mfa=True)
    totp = Authenticator.objects.get(user=member, type="totp")

    response = client.post(f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    audit = AuditLog.objects.get(action="authenticator.admin_deleted")
    assert (audit.actor, audit.entity_id) == (staff, str(totp.pk))


def test_staff_end_a_members_session_and_that_device_is_logged_out(client):
    member = UserFactory()
    device = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
    device.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert device.get("/profile/").status_code == 200
    session = UserSession.objects.get(user=member)
    staff = StaffFactory()
    client.force_login(staff)

    response = client.post(f"/admin/usersessions/usersession/{session.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert device.get("/profile/")["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(pk=session.pk).exists()
    assert AuditLog.objects.filter(action="usersession.admin_deleted", actor=staff).exists()
    page = client.get("/admin/usersessions/usersession/")
    assert session.session_key not in page.content.decode()
