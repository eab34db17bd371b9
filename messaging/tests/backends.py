"""Email backends for the tests: SMTP is the one thing outside Encore we fake."""

import re
import smtplib
import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

HANG_MARKER = "hang"
ENTERED_MARKER = "entered"
HANG_SECONDS = 30


class FailingSMTPBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FlakySMTPBackend(BaseEmailBackend):
    """Refuses the first `failures` messages, then delivers to the test outbox."""

    failures = 1

    def send_messages(self, email_messages):
        from django.core import mail

        if FlakySMTPBackend.failures > 0:
            FlakySMTPBackend.failures -= 1
            raise smtplib.SMTPDataError(451, b"Try again later")
        mail.outbox.extend(email_messages)
        return len(email_messages)


class HangingFileBackend(FileEmailBackend):
    """Writes each email as a file in EMAIL_FILE_PATH (a worker in another
    process cannot use the in-memory outbox). While a file named "hang" exists
    there, it first writes "entered" and waits: a test kills the worker then."""

    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        hang = folder / HANG_MARKER
        if hang.exists():
            (folder / ENTERED_MARKER).write_text("entered")
            deadline = time.monotonic() + HANG_SECONDS
            while hang.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().send_messages(email_messages)


def sent_files(folder) -> list[Path]:
    """The emails HangingFileBackend wrote (one file per send)."""
    return sorted(Path(folder).glob("*.log"))


def sent_recipients(folder) -> list[str]:
    """The recipient of each email HangingFileBackend wrote. The file backend
    appends the emails it sends within one second to the same file: count
    messages, not files, to tell one email from two."""
    return [
        address
        for path in sent_files(folder)
        for address in re.findall(r"^To: (.+)$", path.read_text(), re.MULTILINE)
    ]
