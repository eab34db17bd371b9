from django.utils import timezone

from .models import User


def user_record_login(*, user: User) -> None:
    """Stamp the time of a successful login (one UPDATE, no other field touched)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login_at=now)
    user.last_login_at = now
