"""The kernel's periodic jobs (celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .idempotency import idempotency_keys_purge as purge


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def idempotency_keys_purge() -> int:
    """Forget the API's Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS."""
    return purge()
