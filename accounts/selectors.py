"""Reads about users that the pages, the API and the services share."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.core.errors import NotFound

from .models import ApiSession, User

# Accounts in these statuses can neither buy nor sell (ARCHITECTURE.md, "Purchase").
BLOCKED_STATUSES = (User.Status.SUSPENDED, User.Status.BANNED)


def user_can_trade(*, user: User) -> bool:
    """Whether `user` may buy, sell, transfer or message: an active account,
    not suspended or banned, whose email address its owner has confirmed (an
    address registered by someone else trades nothing in its owner's name)."""
    return user.is_active and user.status not in BLOCKED_STATUSES and user.email_verified


def user_can_organize(*, user: User) -> bool:
    """Whether `user` may create events: organizers and admins (ARCHITECTURE.md, rule 10)."""
    return user.role in (User.Role.ORGANIZER, User.Role.ADMIN)


def user_get_public(*, public_id: str) -> User:
    """An account by the id others see (User.public_id); NotFound if there is none."""
    user = User.objects.filter(public_id=public_id).first() if public_id else None
    if user is None:
        raise NotFound(_("User not found."))
    return user


def user_for_api_token(*, user_id, session_id: str | None) -> User | None:
    """The account an API access token names, in one query, with
    `api_session_live`: whether the token's API session (None for a token
    from before sessions) has not ended."""
    users = User.objects.filter(pk=user_id)
    if session_id is not None:
        live = ApiSession.objects.filter(
            pk=session_id, user_id=OuterRef("pk"), ended_at__isnull=True
        )
        users = users.annotate(api_session_live=Exists(live))
    return users.first()


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
        gettext_lazy("Email me when the buyer or seller of one of my tickets sends me a message"),
        True,
    ),
    (
        "email_sale_updates",
        gettext_lazy(
            "Email me about my purchases, sales and payouts (payment, delivery, disputes)"
        ),
        True,
    ),
    (
        "email_news",
        gettext_lazy("Email me about new events and Encore news (at most once a month)"),
        False,
    ),
)


def email_preferences(preferences: dict) -> dict:
    """The account's email choices, with the default for each one not made yet."""
    preferences = preferences if isinstance(preferences, dict) else {}
    return {key: bool(preferences.get(key, default)) for key, _label, default in EMAIL_PREFERENCES}


# --- Two-step login and sessions (allauth.mfa, allauth.usersessions) --------------

# What makes a login two-step: an authenticator app or a passkey. Recovery codes
# only stand in for those, and go when the last of them goes.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def user_has_second_factor(*, user: User) -> bool:
    """Whether the account's login asks for a second factor (what the admin requires)."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


def user_second_factor_types(*, user: User) -> set[str]:
    """The kinds of second factor the account has ("totp", "webauthn"), for the
    login's second step to offer the right ones."""
    kinds = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES)
    return set(kinds.values_list("type", flat=True))


@dataclass(frozen=True)
class SecurityOverview:
    """The profile's security section."""

    authenticator_app: bool
    passkeys: int
    recovery_codes_left: int | None  # None: no recovery codes
    devices: int  # live sessions, this one included

    @property
    def two_step(self) -> bool:
        return self.authenticator_app or self.passkeys > 0


def user_security_overview(*, user: User) -> SecurityOverview:
    """Two-step login and logged-in devices of `user`, for the profile."""
    authenticators = list(Authenticator.objects.filter(user_id=user.pk))
    types = [authenticator.type for authenticator in authenticators]
    codes = next((a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None)
    # A session that expired or was ended elsewhere no longer counts (sessions
    # live in the database: SESSION_ENGINE).
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return SecurityOverview(
        authenticator_app=Authenticator.Type.TOTP in types,
        passkeys=types.count(Authenticator.Type.WEBAUTHN),
        recovery_codes_left=len(codes.wrap().get_unused_codes()) if codes else None,
        devices=UserSession.objects.filter(user_id=user.pk, session_key__in=live).count(),
    )
