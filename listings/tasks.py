from celery import shared_task

from .services import listings_expire_due


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def listings_expire() -> int:
    """Periodic: expire listings whose event has started. Safe to run twice at once."""
    return listings_expire_due()
