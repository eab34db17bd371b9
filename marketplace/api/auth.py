"""JWT authentication for the API (djangorestframework-simplejwt).

On every call the token's user is read again from the database, so an account
suspended or banned after its token was issued is refused at once (401).
"""

from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts.selectors import BLOCKED_STATUSES


class TokenExpiredFailed(exceptions.AuthenticationFailed):
    """The token was valid but is past its expiry: the client should refresh it."""

    default_detail = "The access token has expired; refresh it."
    default_code = "token_expired"


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
                "The access token is not valid.", code="token_not_valid"
            ) from exc

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if user.status in BLOCKED_STATUSES:
            raise exceptions.AuthenticationFailed(
                "This account is suspended or banned.", code="account_blocked"
            )
        return user
