"""`python manage.py runlocal`: the embedded run of `make run`.

Starts localstripe on 127.0.0.1:8420 (or reuses one already there), registers
its webhook to this server's /payments/stripe/webhook/, runs the periodic
jobs (reservations, escrow, payouts, email) when no Celery broker is set, then
serves the site with Django's development server. Ctrl-C stops all of it.
"""

import os
import signal
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from marketplace.devtools.localstripe import (
    localstripe_is_up,
    localstripe_register_webhook,
    localstripe_start,
)
from marketplace.devtools.periodic import periodic_jobs_start

WEBHOOK_PATH = "/payments/stripe/webhook/"


class Command(BaseCommand):
    help = "Serve Encore on 127.0.0.1:8000 with localstripe on 127.0.0.1:8420."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="Do not reload on changes.")

    def handle(self, *args, addrport, noreload, **options):
        localstripe = None
        # The autoreloader runs this command again in a child process
        # (RUN_MAIN=true); localstripe belongs to the parent, which outlives reloads.
        if os.environ.get("RUN_MAIN") != "true":
            localstripe = self.start_localstripe(addrport)
            # A plain `kill` stops localstripe too, as Ctrl-C does.
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
            if settings.CELERY_TASK_ALWAYS_EAGER:
                periodic_jobs_start()
                self.stdout.write("Periodic jobs: run in this process (no Celery broker).")
            else:
                self.stdout.write("Periodic jobs: left to `celery beat` and its workers.")
        try:
            call_command("runserver", addrport, use_reloader=not noreload)
        finally:
            if localstripe is not None:
                localstripe.terminate()
                localstripe.wait(timeout=10)

    def start_localstripe(self, addrport):
        base_url = settings.STRIPE_API_BASE.rstrip("/")
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            self.stdout.write(f"Payments: {base_url} (not started here).")
            return None
        process = None
        if localstripe_is_up(base_url):
            self.stdout.write(f"Payments: reusing the localstripe already on {base_url}.")
        else:
            try:
                process = localstripe_start(port=parts.port or 8420)
            except RuntimeError as exc:
                raise CommandError(f"{exc} Is the port taken by another program?") from exc
            self.stdout.write(f"Payments: localstripe started on {base_url}.")
        webhook_url = f"http://{addrport}{WEBHOOK_PATH}"
        localstripe_register_webhook(
            base_url=base_url, url=webhook_url, secret=settings.STRIPE_WEBHOOK_SECRET
        )
        self.stdout.write(f"Payments: localstripe delivers webhooks to {webhook_url}.")
        return process
