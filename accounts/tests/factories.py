import time

import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"fan{n}@example.com")
    name = factory.Faker("name")
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def email_address(obj, create, extracted, **kwargs):
        """allauth's record of the address, so the account can log in on the site."""
        if create and obj.email_verified:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """Two-step login: an authenticator app (its secret kept on `totp_secret`,
        for `totp_code`) and recovery codes. Staff accounts get it unless
        mfa=False (the admin refuses staff without it); others with mfa=True."""
        obj.totp_secret = None
        wanted = obj.is_staff if extracted is None else extracted
        if not create or not wanted:
            return
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        obj.totp_secret = generate_totp_secret()
        TOTP.activate(obj, obj.totp_secret)
        RecoveryCodes.activate(obj)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class OrganizerFactory(UserFactory):
    role = User.Role.ORGANIZER


class StaffFactory(UserFactory):
    """A staff account, with the second factor the admin requires (UserFactory's
    `mfa`); `StaffFactory(mfa=False)` is one that has not set it up yet."""

    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for this secret. allauth accepts
    each code once; one typed at the end of its 30 seconds still passes in the
    next period (MFA_TOTP_TOLERANCE), so tests do not race the clock."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def recovery_codes(user) -> list[str]:
    """The user's unused recovery codes, as the recovery codes page lists them."""
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return authenticator.wrap().get_unused_codes()
