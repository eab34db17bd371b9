from django.db import transaction
from django.utils import timezone

from marketplace.audit import audit_log_record
from marketplace.errors import PermissionDenied, ValidationFailed

from .models import User


def user_record_login(*, user: User) -> None:
    """Stamp the time of a successful login (one UPDATE, no other field touched)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login_at=now)
    user.last_login_at = now


def user_set_status(*, actor: User, user: User, status: str, reason: str = "", ip_address=None):
    """Staff change an account's status (suspend, ban, reactivate), audited.

    A suspended or banned account can no longer buy, sell or message
    (accounts.selectors.user_can_trade). Raises PermissionDenied (not staff,
    or staff changing their own status) or ValidationFailed (unknown status).
    Changing to the current status changes nothing and writes nothing.
    """
    if not (actor.is_active and actor.is_staff) or actor.pk == user.pk:
        raise PermissionDenied("Only staff can change another account's status.")
    if status not in User.Status.values:
        raise ValidationFailed(
            "Unknown account status.",
            details={"field": "status", "reason": "INVALID_CHOICE", "choices": User.Status.values},
        )
    with transaction.atomic():
        previous = (
            User.objects.select_for_update()
            .filter(pk=user.pk)
            .values_list("status", flat=True)
            .get()
        )
        if previous != status:
            User.objects.filter(pk=user.pk).update(status=status, updated_at=timezone.now())
            audit_log_record(
                actor=actor,
                action="user.status_changed",
                entity=user,
                changes={"status": {"from": previous, "to": status}, "reason": reason},
                ip_address=ip_address,
            )
    user.refresh_from_db()
    return user
