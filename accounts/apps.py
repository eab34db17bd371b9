from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from .services import user_record_login

        # The users table calls the column last_login_at (ARCHITECTURE.md,
        # "Data"); Django's own receiver would write a `last_login` field.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(
            lambda sender, user, **kwargs: user_record_login(user=user),
            dispatch_uid="accounts_record_login",
            weak=False,
        )

        from allauth.account.signals import email_changed

        from .adapter import on_email_changed

        # allauth's only hook when another address becomes the login address.
        email_changed.connect(on_email_changed, dispatch_uid="accounts_email_changed")
