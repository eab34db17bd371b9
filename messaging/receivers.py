"""What the email provider reports back (django-anymail's `tracking` signal,
sent by its webhook views under /email/webhooks/): a bounce, a rejection or
a spam complaint marks the account whose address it was
(accounts.email_delivery). Other events (delivered, opened...) are ignored."""

from anymail.signals import tracking
from django.dispatch import receiver

from accounts.email_delivery import email_delivery_failed


@receiver(tracking, dispatch_uid="messaging.email_delivery_tracking")
def email_tracking_received(sender, event, esp_name, **kwargs):
    email_delivery_failed(
        email=event.recipient or "",
        reason=event.description or event.reject_reason or event.mta_response or "",
        event_type=event.event_type,
        occurred_at=event.timestamp,
    )
