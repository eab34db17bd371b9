from celery import shared_task

from .services import ticket_transfers_expire as transfers_expire_due


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def ticket_transfers_expire() -> int:
    """Periodic: give back the tickets whose transfer nobody claimed in time.
    Safe to run twice at once."""
    return transfers_expire_due()
