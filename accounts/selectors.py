"""Reads about users that the pages, the API and the services share."""

from .models import User

# Accounts in these statuses can neither buy nor sell (ARCHITECTURE.md, "Purchase").
BLOCKED_STATUSES = (User.Status.SUSPENDED, User.Status.BANNED)


def user_can_trade(*, user: User) -> bool:
    """Whether `user` may buy or sell: an active account that is not suspended or banned."""
    return user.is_active and user.status not in BLOCKED_STATUSES


def user_can_organize(*, user: User) -> bool:
    """Whether `user` may create events: organizers and admins (ARCHITECTURE.md, rule 10)."""
    return user.role in (User.Role.ORGANIZER, User.Role.ADMIN)
