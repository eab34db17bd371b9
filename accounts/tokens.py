"""The API's sign-in: password login, refresh-token rotation and logout, with
simplejwt's tokens and its blacklist.

A login opens an API session (accounts.models.ApiSession). Its refresh
tokens rotate: each works once, and the new pair stays in the same session.
Every token carries the session's id ("sid") and the account's token_version
("ver"): logging out ends the session, and with it its access tokens at
once; a change of credentials bumps the version and revokes every session
(accounts.services.user_sessions_revoke). A refresh token presented again
after it was spent means a copy of it is in someone else's hands: every
session of the account ends (OAuth's refresh-token reuse detection).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import SESSION_CLAIM, VERSION_CLAIM, user_may_authenticate
from marketplace.core.errors import EmailNotVerified, InvalidCredentials, TokenExpired, Unauthorized

from .login_limits import login_cooldown_check, login_failure_record, login_success_record
from .models import ApiSession, User
from .services import (
    user_email_verification_send,
    user_logout_everywhere,
    user_record_login,
    user_sessions_revoke,
)


def _revoked() -> Unauthorized:
    return Unauthorized(_("The refresh token is not valid or was revoked."))


@dataclass(frozen=True)
class TokenPair:
    user: User
    access: str
    refresh: str

    @property
    def expires_in(self) -> int:
        return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def _pair_for(user: User, *, session: ApiSession) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = str(session.pk)
    refresh[VERSION_CLAIM] = user.token_version
    # The access token copies the refresh token's claims, sid and ver included.
    return TokenPair(user=user, access=str(refresh.access_token), refresh=str(refresh))


def _blocked() -> Unauthorized:
    return Unauthorized(_("This account is suspended or banned. Contact support."))


def _not_verified(user: User) -> EmailNotVerified:
    """The 403 for the right password of an unconfirmed address, after emailing
    a new code (at most once every EMAIL_VERIFICATION_RESEND_SECONDS)."""
    wait = settings.EMAIL_VERIFICATION_RESEND_SECONDS
    key = f"accounts:verification-resent:{user.pk}"
    if cache.add(key, timezone.now().timestamp(), timeout=wait):
        user_email_verification_send(user=user)
        details = {"verification": "sent"}
    else:
        sent_at = cache.get(key) or timezone.now().timestamp()
        left = max(int(sent_at + wait - timezone.now().timestamp()), 1)
        details = {"verification": "recently_sent", "resendAfter": left}
    return EmailNotVerified(
        _(
            "Confirm your email address first: we have emailed you a code. Send it to "
            "POST /api/v1/users/verify, then log in again."
        ),
        details={"reason": "EMAIL_NOT_VERIFIED", **details},
    )


def token_login(*, email: str, password: str, request=None, ip_address=None) -> TokenPair:
    """A fresh access and refresh token, in a new API session, for the account
    with these credentials.

    Raises RateLimitExceeded (the account cools down after failed logins, for
    addresses it was never used from: accounts.login_limits),
    InvalidCredentials (unknown address or wrong password: the same answer, so
    addresses cannot be probed), Unauthorized (account blocked) or
    EmailNotVerified (the right password of an address nobody confirmed; a new
    code is emailed).
    """
    login_cooldown_check(email=email, ip_address=ip_address)
    user = authenticate(request, email=User.objects.normalize_email(email), password=password)
    if user is None:
        # A blocked account with the right password is told so; anyone else
        # learns nothing about the address. One more hash whatever the
        # address, so neither the answer nor its time tells them apart.
        candidate = User.objects.filter(email__iexact=email.strip()).first()
        if candidate is None:
            User().set_password(password)
        elif candidate.check_password(password) and not candidate.is_active:
            raise _blocked()
        login_failure_record(email=email)
        raise InvalidCredentials()
    login_success_record(email=email, ip_address=ip_address)
    if not user_may_authenticate(user):
        raise _blocked()
    if not user.email_verified:
        raise _not_verified(user)
    with transaction.atomic():
        user_record_login(user=user)
        session = ApiSession.objects.create(user=user)
        return _pair_for(user, session=session)


class _PresentedRefreshToken(RefreshToken):
    """A refresh token as presented: signature, expiry and type checked, the
    blacklist not yet (_spend decides what a spent token means)."""

    def check_blacklist(self) -> None:
        pass


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return _PresentedRefreshToken(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired(_("The refresh token has expired; log in again.")) from exc
    except TokenError as exc:
        raise _revoked() from exc


def _spend(token: RefreshToken) -> bool:
    """Blacklist `token`, exactly once; False if it was spent already (or is
    unknown). Locking its outstanding row makes two refreshes racing with the
    same token serialize: the second finds it blacklisted, so one refresh
    token yields one new pair."""
    with transaction.atomic():
        # No join to the (nullable) user: FOR UPDATE could not lock it.
        outstanding_id = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=token[api_settings.JTI_CLAIM])
            .order_by("pk")  # not the model's ordering, which joins the user
            .values_list("pk", flat=True)
            .first()
        )
        if (
            outstanding_id is None
            or BlacklistedToken.objects.filter(token_id=outstanding_id).exists()
        ):
            return False
        BlacklistedToken.objects.create(token_id=outstanding_id)
        return True


def _session_live(token: RefreshToken, user: User) -> ApiSession | None:
    session_id = token.payload.get(SESSION_CLAIM)
    if session_id is None:
        # A token from before API sessions existed: it moves into a new one.
        return ApiSession.objects.create(user=user)
    oldest = timezone.now() - timedelta(days=settings.JWT_SESSION_MAX_DAYS)
    return ApiSession.objects.filter(
        pk=session_id, user_id=user.pk, ended_at__isnull=True, created_at__gt=oldest
    ).first()


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the refresh token is spent and a new pair is issued, in the same
    API session.

    A refresh token already rotated, presented again while its session goes
    on, is a stolen copy or a replay: every session of the account ends
    ("refresh_token_reused"), the legitimate one included, whose owner logs
    in again. A session lasts JWT_SESSION_MAX_DAYS at most, however often it
    is refreshed.

    Raises TokenExpired, Unauthorized (bad, spent or revoked token, session
    ended or too old, account blocked or gone) or EmailNotVerified.
    """
    token = _refresh_token(refresh)
    user = User.objects.filter(pk=token.payload.get(api_settings.USER_ID_CLAIM)).first()
    if not user_may_authenticate(user):
        raise _blocked() if user is not None else Unauthorized(_("The account no longer exists."))
    if not user.email_verified:
        raise EmailNotVerified(details={"reason": "EMAIL_NOT_VERIFIED"})
    if not _spend(token):
        # Spent while its session goes on: it was rotated, and this is a second
        # use. A token whose session ended (logout, revocation) is only refused:
        # replaying it cannot end the sessions opened since.
        session_id = token.payload.get(SESSION_CLAIM)
        if (
            session_id
            and ApiSession.objects.filter(
                pk=session_id, user_id=user.pk, ended_at__isnull=True
            ).exists()
        ):
            user_sessions_revoke(user=user, reason="refresh_token_reused")
        raise _revoked()
    if token.payload.get(VERSION_CLAIM, 0) != user.token_version:
        raise Unauthorized(_("This session has ended; log in again."))
    session = _session_live(token, user)
    if session is None:
        raise Unauthorized(_("This session has ended; log in again."))
    return _pair_for(user, session=session)


def token_logout(*, refresh: str, everywhere: bool = False, ip_address=None) -> None:
    """Revoke the refresh token and end its API session: its access tokens are
    refused at once too. With `everywhere`, every session of the account
    ends, on the API and the site (accounts.services.user_logout_everywhere).

    Raises TokenExpired or Unauthorized (already revoked).
    """
    token = _refresh_token(refresh)
    if not _spend(token):
        raise _revoked()
    user = User.objects.filter(pk=token.payload.get(api_settings.USER_ID_CLAIM)).first()
    if user is None:
        return
    if everywhere:
        user_logout_everywhere(user=user, ip_address=ip_address)
    elif session_id := token.payload.get(SESSION_CLAIM):
        ApiSession.objects.filter(pk=session_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="logout"
        )


def tokens_flush_expired() -> int:
    """Delete the refresh tokens past their expiry, with their blacklist rows,
    and the API sessions no token can use any more: an expired token is
    refused anyway, so the tables stop growing. Returns how many tokens were
    deleted."""
    now = timezone.now()
    expired = OutstandingToken.objects.filter(expires_at__lte=now)
    BlacklistedToken.objects.filter(token__in=expired).delete()
    deleted, _by_model = expired.delete()
    # An ended session matters until its last access token expires; any
    # session stops at JWT_SESSION_MAX_DAYS.
    ApiSession.objects.filter(
        ended_at__lte=now - settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    ).delete()
    ApiSession.objects.filter(
        created_at__lte=now - timedelta(days=settings.JWT_SESSION_MAX_DAYS)
    ).delete()
    return deleted
