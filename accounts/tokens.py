"""The API's sign-in: password login, refresh-token rotation and logout,
with simplejwt's tokens and its blacklist."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from marketplace.api.auth import user_may_authenticate
from marketplace.errors import InvalidCredentials, TokenExpired, Unauthorized

from .models import User
from .services import user_record_login


@dataclass(frozen=True)
class TokenPair:
    user: User
    access: str
    refresh: str

    @property
    def expires_in(self) -> int:
        return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def _pair_for(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(user=user, access=str(refresh.access_token), refresh=str(refresh))


def _blocked() -> Unauthorized:
    return Unauthorized("This account is suspended or banned. Contact support.")


def token_login(*, email: str, password: str, request=None) -> TokenPair:
    """A fresh access and refresh token for the account with these credentials.

    Raises InvalidCredentials (unknown address or wrong password: the same
    answer, so addresses cannot be probed) or Unauthorized (account blocked).
    """
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
        raise InvalidCredentials()
    if not user_may_authenticate(user):
        raise _blocked()
    user_record_login(user=user)
    return _pair_for(user)


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired("The refresh token has expired; log in again.") from exc
    except TokenError as exc:
        raise Unauthorized("The refresh token is not valid or was revoked.") from exc


def _use_once(token: RefreshToken) -> None:
    """Blacklist `token`, exactly once. Locking its outstanding row makes two
    refreshes racing with the same token serialize: the second finds it
    blacklisted and is refused, so one refresh token yields one new pair."""
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
            raise Unauthorized("The refresh token is not valid or was revoked.")
        BlacklistedToken.objects.create(token_id=outstanding_id)


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the refresh token is spent and a new pair is issued.

    Raises TokenExpired, or Unauthorized (bad, spent or revoked token, or the
    account blocked or gone).
    """
    token = _refresh_token(refresh)
    user = User.objects.filter(pk=token.payload.get(api_settings.USER_ID_CLAIM)).first()
    if not user_may_authenticate(user):
        raise _blocked() if user is not None else Unauthorized("The account no longer exists.")
    _use_once(token)
    return _pair_for(user)


def token_logout(*, refresh: str) -> None:
    """Revoke the refresh token: it can no longer be refreshed (401).

    The access tokens already issued expire on their own within
    ACCESS_TOKEN_LIFETIME. Raises TokenExpired or Unauthorized (already revoked).
    """
    _use_once(_refresh_token(refresh))


def tokens_flush_expired() -> int:
    """Delete the refresh tokens past their expiry, with their blacklist rows:
    an expired token is refused anyway, so the tables stop growing. Returns
    how many were deleted."""
    expired = OutstandingToken.objects.filter(expires_at__lte=timezone.now())
    BlacklistedToken.objects.filter(token__in=expired).delete()
    deleted, _ = expired.delete()
    return deleted
