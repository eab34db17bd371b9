"""Two-step login of the demo staff account (`manage.py seed_demo`, README.md).

The admin refuses staff without a second factor, so the demo staff account
gets an authenticator app with a published secret: add DEMO_STAFF_TOTP_SECRET
to any authenticator app, or print the current code with
`python manage.py totp_code staff@encore.test` (embedded run only). Published
means worthless: this is for the demo database, never for a real account.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.core.exceptions import ImproperlyConfigured

DEMO_STAFF_EMAIL = "staff@encore.test"
# Base32, as authenticator apps take it.
DEMO_STAFF_TOTP_SECRET = "ENCOREDEMOSTAFFTOTPSECRETKEY2345"  # noqa: S105 (published: demo only)


def _secret(totp: Authenticator) -> str | None:
    try:
        return decrypt(totp.data["secret"])
    except ImproperlyConfigured:  # stored under another SECRET_KEY: replaced
        return None


def demo_staff_totp_ensure(user) -> bool:
    """Give the demo staff account its documented authenticator app (and
    recovery codes), replacing one set up with another secret. Returns whether
    anything was written; a second run writes nothing."""
    totp = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if totp is not None and _secret(totp) == DEMO_STAFF_TOTP_SECRET:
        return False
    if totp is not None:
        totp.delete()
    TOTP.activate(user, DEMO_STAFF_TOTP_SECRET)
    RecoveryCodes.activate(user)
    return True
