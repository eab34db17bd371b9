import pytest

from accounts.selectors import user_can_trade
from accounts.services import user_set_status
from accounts.tests.factories import StaffFactory, UserFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_staff_suspend_an_account_and_the_change_is_audited():
    staff, user = StaffFactory(), UserFactory()

    user_set_status(
        actor=staff, user=user, status="suspended", reason="Chargebacks", ip_address="10.0.0.1"
    )

    assert user.status == "suspended"
    assert not user_can_trade(user=user)
    audit = AuditLog.objects.get(action="user.status_changed")
    assert (audit.actor, audit.entity_id, audit.ip_address) == (staff, str(user.pk), "10.0.0.1")
    assert audit.changes == {
        "status": {"from": "active", "to": "suspended"},
        "reason": "Chargebacks",
    }


def test_setting_the_same_status_writes_nothing():
    staff, user = StaffFactory(), UserFactory()

    user_set_status(actor=staff, user=user, status="active")

    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("case", ["not staff", "own account", "unknown status"])
def test_refused_status_changes_change_nothing(case):
    staff, user = StaffFactory(), UserFactory()
    actor, target, status, error = staff, user, "banned", PermissionDenied
    if case == "not staff":
        actor = UserFactory()
    elif case == "own account":
        target = staff
    else:
        status, error = "deleted", ValidationFailed

    with pytest.raises(error):
        user_set_status(actor=actor, user=target, status=status)

    target.refresh_from_db()
    assert target.status == "active"
    assert not AuditLog.objects.exists()
