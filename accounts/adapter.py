"""How django-allauth fits Encore: its email goes through our outbox (sent by
Celery, retried, never lost), a confirmed address earns the account its
"email verified" badge, the client's address comes from marketplace.core.client_ip
(the trusted proxy's header), failed logins lock out the failing address but
only slow the account down (accounts.login_limits), and a new password, a new
login address or a logout everywhere ends the account's other sessions, on
the site and the API (accounts.services.user_sessions_revoke)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django import forms
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from marketplace.core.client_ip import client_ip, client_ip_or_unknown
from marketplace.core.emails import email_language, email_render
from marketplace.core.errors import RateLimitExceeded

from .login_limits import login_cooldown_check, login_failure_record, login_success_record
from .models import User
from .services import (
    user_email_changed,
    user_email_mark_verified,
    user_logout_everywhere,
    user_password_set,
    user_registered_record,
)

LOGIN_COOLDOWN = "login_cooldown"


def _per_address_rates() -> dict:
    """allauth's "login_failed" rates that count per client address: a password
    login counts against those only (the per-account part would lock the
    account's owner out; accounts.login_limits slows the account down
    instead). allauth's two-step login still counts codes per account."""
    from allauth.account import app_settings

    rates = (app_settings.RATE_LIMITS or {}).get("login_failed") or ""
    per_address = [rate for rate in rates.split(",") if rate.strip().endswith("/ip")]
    return {"login_failed": ",".join(per_address)}


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """allauth's emails go through the outbox like every other, rendered
        from templates/<prefix>_message.html (subject, HTML and text from one
        template: marketplace.core.emails) in the language of the account
        the address belongs to, else the language of the page that asked."""
        from messaging.services import email_enqueue

        context = {"email": email, **context}
        recipient = context.get("user")
        if not getattr(recipient, "pk", None):
            recipient = User.objects.filter(email__iexact=email).first()
        language = email_language(recipient, fallback=translation.get_language() or "")
        try:
            rendered = email_render(f"{template_prefix}_message.html", context, language=language)
            subject, body, html = rendered.subject, rendered.text, rendered.html
        except TemplateDoesNotExist:
            # An email of allauth's that Encore has no template for: its own text.
            with translation.override(language):
                subject = render_to_string(f"{template_prefix}_subject.txt", context)
                body = render_to_string(f"{template_prefix}_message.txt", context).strip() + "\n"
            html = ""
        subject = self.format_email_subject(" ".join(subject.split()))
        with transaction.atomic():
            email_enqueue(to=email, subject=subject, body=body, html=html)

    def get_client_ip(self, request):
        return client_ip_or_unknown(request)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_registered_record(user=user, via="site", ip_address=client_ip(request))
        return user

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user_email_mark_verified(user=email_address.user, email=email_address.email)
        return confirmed

    # --- Failed logins ---------------------------------------------------------

    def pre_authenticate(self, request, **credentials):
        cache_key = self._get_login_attempts_cache_key(request, **credentials)
        self._login_failed_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            key=cache_key,
            config=_per_address_rates(),
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")
        try:
            login_cooldown_check(email=credentials.get("email", ""), ip_address=client_ip(request))
        except RateLimitExceeded as exc:
            # The page answers 429 with Retry-After (marketplace.core.api.throttling's
            # middleware reads this), the form showing why.
            request.encore_retry_after = exc.retry_after
            raise forms.ValidationError(exc.message, code=LOGIN_COOLDOWN) from exc

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            login_success_record(email=credentials.get("email", ""), ip_address=client_ip(request))
        return user

    def authentication_failed(self, request, **credentials):
        login_failure_record(email=credentials.get("email", ""))

    # --- Sessions ending ---------------------------------------------------------

    def set_password(self, user, password):
        """A password change (by the owner, logged in) or reset (from the emailed
        link): every other session of the account ends. The session that
        changed it stays: allauth re-hashes it after this call."""
        request = self.request
        own = bool(request and request.user.is_authenticated and request.user.pk == user.pk)
        user_password_set(
            user=user,
            password=password,
            reason="password_changed" if own else "password_reset",
            ip_address=client_ip(request) if request else None,
            keep_session_key=request.session.session_key if own else None,
        )

    def logout(self, request):
        """Log out; with "everywhere" ticked, end every session of the account."""
        user = request.user
        if request.method == "POST" and request.POST.get("everywhere") and user.is_authenticated:
            user_logout_everywhere(user=user, ip_address=client_ip(request))
        super().logout(request)


def on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    """allauth made another confirmed address the login address: every other
    session ends (connected in accounts.apps)."""
    own = request is not None and request.user.is_authenticated and request.user.pk == user.pk
    user_email_changed(
        user=user,
        from_email=from_email_address.email if from_email_address else "",
        to_email=to_email_address.email,
        ip_address=client_ip(request) if request is not None else None,
        keep_session_key=request.session.session_key if own else None,
    )
    if own:
        # The session making the change stays, re-hashed with the new version.
        request.user.token_version = user.token_version
        update_session_auth_hash(request, request.user)
