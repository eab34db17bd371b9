from django.apps import AppConfig
from django.conf import settings


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        # Every process that loads Django reports its errors: web, worker, beat.
        if settings.SENTRY_DSN:
            from .sentry import sentry_init

            sentry_init(
                dsn=settings.SENTRY_DSN,
                environment=settings.SENTRY_ENVIRONMENT,
                release=settings.SENTRY_RELEASE,
                traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
            )
