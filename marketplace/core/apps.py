from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.urls import register_converter


class CoreConfig(AppConfig):
    """The kernel every app builds on (docs/architecture.md). Its label stays
    "marketplace": the audit log's and idempotency keys' tables and migrations
    keep the names they were created with."""

    name = "marketplace.core"
    label = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        from .ids import IdConverter
        from .search import register_sqlite_functions

        register_converter(IdConverter, "id")
        # SQLite's twin of PostgreSQL's encore_fold (accent- and case-blind search).
        connection_created.connect(register_sqlite_functions)
        # Every process that loads Django reports its errors: web, worker, beat.
        if settings.SENTRY_DSN:
            from .sentry import sentry_init

            sentry_init(
                dsn=settings.SENTRY_DSN,
                environment=settings.SENTRY_ENVIRONMENT,
                release=settings.SENTRY_RELEASE,
                traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
            )
