"""JWT authentication for the API (djangorestframework-simplejwt).

On every call the token's user is read again from the database, with its API
session (one query): a token is refused at once (401) when the account was
suspended or banned, when its token_version moved on since the token was
issued (password or email changed, logout everywhere: claim "ver"), or when
its session was logged out (claim "sid"). An account whose email address is
not confirmed is answered 403 EMAIL_NOT_VERIFIED.
"""

import uuid

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts.selectors import BLOCKED_STATUSES, user_for_api_token
from marketplace.core.api.errors import TokenExpiredFailed
from marketplace.core.errors import EmailNotVerified

# The claims Encore adds to simplejwt's tokens (accounts/tokens.py).
SESSION_CLAIM = "sid"
VERSION_CLAIM = "ver"


def user_may_authenticate(user) -> bool:
    """simplejwt's USER_AUTHENTICATION_RULE: login and refresh refuse blocked accounts."""
    return user is not None and user.is_active and user.status not in BLOCKED_STATUSES


class EncoreJWTAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def get_validated_token(self, raw_token):
        from rest_framework_simplejwt.tokens import AccessToken

        try:
            return AccessToken(raw_token)
        except ExpiredTokenError as exc:
            raise TokenExpiredFailed() from exc
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(
                _("The access token is not valid."), code="token_not_valid"
            ) from exc

    def get_user(self, validated_token):
        session_id = validated_token.get(SESSION_CLAIM)
        try:
            session_id = str(uuid.UUID(session_id)) if session_id is not None else None
        except (TypeError, ValueError) as exc:
            raise exceptions.AuthenticationFailed(
                _("The access token is not valid."), code="token_not_valid"
            ) from exc
        user = user_for_api_token(
            user_id=validated_token.get(api_settings.USER_ID_CLAIM), session_id=session_id
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("User not found"), code="user_not_found")
        if user.status in BLOCKED_STATUSES:
            raise exceptions.AuthenticationFailed(
                _("This account is suspended or banned."), code="account_blocked"
            )
        # Tokens from before versions and sessions existed count as version 0.
        if validated_token.get(VERSION_CLAIM, 0) != user.token_version:
            raise exceptions.AuthenticationFailed(
                _(
                    "This token was revoked (the account's password or email changed, or it "
                    "logged out everywhere); log in again."
                ),
                code="token_revoked",
            )
        if session_id is not None and not user.api_session_live:
            raise exceptions.AuthenticationFailed(
                _("This session has logged out; log in again."), code="session_ended"
            )
        if not user.email_verified:
            raise EmailNotVerified(details={"reason": "EMAIL_NOT_VERIFIED"})
        return user
