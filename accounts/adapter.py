"""How django-allauth fits Encore: its email goes through our outbox (sent by
Celery, retried, never lost), and a confirmed address earns the account its
"email verified" badge."""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.template.loader import render_to_string

from .services import user_email_mark_verified, user_registered_record


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        from messaging.services import email_enqueue

        context = {**context, "current_site": context.get("current_site")}
        subject = render_to_string(f"{template_prefix}_subject.txt", context, self.request)
        subject = self.format_email_subject(" ".join(subject.split()))
        body = render_to_string(f"{template_prefix}_message.txt", context, self.request)
        with transaction.atomic():
            email_enqueue(to=email, subject=subject, body=body.strip() + "\n")

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from marketplace.api.base import client_ip

            user_registered_record(user=user, via="site", ip_address=client_ip(request))
        return user

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user_email_mark_verified(user=email_address.user, email=email_address.email)
        return confirmed
