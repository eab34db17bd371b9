"""Reads about users that the pages, the API and the services share."""

from django.db.models import Q, QuerySet

from marketplace.errors import NotFound

from .models import User

# Accounts in these statuses can neither buy nor sell (ARCHITECTURE.md, "Purchase").
BLOCKED_STATUSES = (User.Status.SUSPENDED, User.Status.BANNED)


def user_can_trade(*, user: User) -> bool:
    """Whether `user` may buy or sell: an active account that is not suspended or banned."""
    return user.is_active and user.status not in BLOCKED_STATUSES


def user_can_organize(*, user: User) -> bool:
    """Whether `user` may create events: organizers and admins (ARCHITECTURE.md, rule 10)."""
    return user.role in (User.Role.ORGANIZER, User.Role.ADMIN)


def user_get(*, user_id: int) -> User:
    """An account by id; NotFound if there is none."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("User not found.")
    return user


def user_list(*, q: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """Accounts for staff, newest first, narrowed by text (email or name), role and status."""
    users = User.objects.order_by("-created_at", "-id")
    if q:
        users = users.filter(Q(email__icontains=q) | Q(name__icontains=q))
    if role:
        users = users.filter(role=role)
    if status:
        users = users.filter(status=status)
    return users


# The email choices on the profile: (key, label, default).
EMAIL_PREFERENCES = (
    (
        "email_new_messages",
        "Email me when the buyer or seller of one of my tickets sends me a message",
        True,
    ),
    (
        "email_sale_updates",
        "Email me about my purchases, sales and payouts (payment, delivery, disputes)",
        True,
    ),
    ("email_news", "Email me about new events and Encore news (at most once a month)", False),
)


def email_preferences(preferences: dict) -> dict:
    """The account's email choices, with the default for each one not made yet."""
    preferences = preferences if isinstance(preferences, dict) else {}
    return {key: bool(preferences.get(key, default)) for key, _label, default in EMAIL_PREFERENCES}
