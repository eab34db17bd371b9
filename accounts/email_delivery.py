"""What the email provider tells Encore about delivery: an address that
bounced, or whose owner marked Encore's mail as spam, is marked on its
account (email_failing_since, email_failing_reason) and the profile shows a
notice. Mail keeps going out to it: what Encore sends is transactional
(payments, tickets, security), and a bounce may be temporary. The mark goes
when the address changes or is confirmed again.

Called by messaging.receivers (django-anymail's tracking signal)."""

import logging

from django.db import transaction
from django.utils import timezone

from .models import User

logger = logging.getLogger(__name__)

# anymail's event types that say the address does not (or no longer wants to) get mail.
FAILING_EVENT_TYPES = ("bounced", "rejected", "complained")
REASON_MAX_LENGTH = User._meta.get_field("email_failing_reason").max_length


def email_delivery_failed(*, email: str, reason: str, event_type: str, occurred_at=None) -> int:
    """Mail to `email` bounced, was rejected or was reported as spam
    (`event_type`, anymail's name): mark the account that uses the address
    (any case). The first failure's time is kept; the latest reason is shown.
    Other event types change nothing. Returns how many accounts were marked."""
    address = (email or "").strip()
    if event_type not in FAILING_EVENT_TYPES or not address:
        return 0
    reason = " ".join((reason or event_type).split())[:REASON_MAX_LENGTH]
    when = occurred_at or timezone.now()
    with transaction.atomic():
        accounts = User.objects.filter(email__iexact=address)
        accounts.filter(email_failing_since__isnull=True).update(
            email_failing_since=when, updated_at=timezone.now()
        )
        marked = accounts.update(email_failing_reason=reason)
    if marked:
        logger.info("Email to account address marked failing (%s): %s", event_type, reason)
    return marked


def email_delivery_restored(*, user: User) -> None:
    """The account's address changed or was confirmed again: no notice any more."""
    User.objects.filter(pk=user.pk, email_failing_since__isnull=False).update(
        email_failing_since=None, email_failing_reason="", updated_at=timezone.now()
    )
