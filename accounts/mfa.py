"""How allauth's two-step login fits Encore (MFA_ADAPTER).

- Secrets at rest are encrypted: an authenticator app's TOTP secret and the
  seed of the recovery codes are Fernet tokens keyed from SECRET_KEY, so a
  copy of the database alone does not give anyone the codes. Rotating
  SECRET_KEY keeps them readable as long as the old key is listed in
  SECRET_KEY_FALLBACKS (docs/operations.md).
- A staff account keeps a second factor: it cannot switch off its last one
  (the admin would refuse it anyway, marketplace/admin_site.py).
- Passkeys show "Encore", not the host name (authenticator apps: MFA_TOTP_ISSUER).
"""

import base64
from functools import cache

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .selectors import SECOND_FACTOR_TYPES

SITE_NAME = "Encore"


@cache
def _fernet(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    def key(secret: str) -> Fernet:
        digest = salted_hmac("encore.mfa.secrets", "fernet", secret=secret, algorithm="sha256")
        return Fernet(base64.urlsafe_b64encode(digest.digest()))

    return MultiFernet([key(secret_key), *(key(fallback) for fallback in fallbacks)])


def _keys() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Staff accounts keep two-step login: add a passkey before switching off "
            "the authenticator app."
        ),
    }

    def encrypt(self, text: str) -> str:
        return _keys().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _keys().decrypt(encrypted_text.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "A two-step login secret cannot be decrypted: SECRET_KEY changed without "
                "the old key in SECRET_KEY_FALLBACKS."
            ) from None

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        user = authenticator.user
        if not user.is_staff:
            return True
        others = Authenticator.objects.filter(
            user_id=user.pk, type__in=SECOND_FACTOR_TYPES
        ).exclude(pk=authenticator.pk)
        return others.exists()

    def generate_authenticator_name(self, user, type) -> str:
        """The name a new passkey is offered: "Passkey", then "Passkey 2"..."""
        count = Authenticator.objects.filter(user_id=user.pk, type=type).count()
        if count == 0:
            return gettext("Passkey")
        return gettext("Passkey %(number)s") % {"number": count + 1}

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        return {**super().get_public_key_credential_rp_entity(), "name": SITE_NAME}
