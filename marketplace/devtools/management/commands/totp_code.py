"""`manage.py totp_code EMAIL`: the code an account's authenticator app shows now.

For the embedded run (`make run`) only, where the demo staff account's secret
is published (marketplace/devtools/demo_mfa.py): it refuses to run with DEBUG off, so
it is no way around two-step login in production.
"""

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current two-step login code of an account (embedded run only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code is for the embedded run only (DEBUG is off).")
        totp = Authenticator.objects.filter(
            user__email__iexact=email, type=Authenticator.Type.TOTP
        ).first()
        if totp is None:
            raise CommandError(f"{email} has no authenticator app.")
        now = time.time()
        counter, elapsed = divmod(int(now), app_settings.TOTP_PERIOD)
        code = format_hotp_value(hotp_value(decrypt(totp.data["secret"]), counter))
        self.stdout.write(code)
        self.stderr.write(f"(valid for {app_settings.TOTP_PERIOD - elapsed} more seconds)")
