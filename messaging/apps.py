from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        # The email provider's bounce and complaint reports (messaging.receivers).
        from . import receivers  # noqa: F401
