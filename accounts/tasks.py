from celery import shared_task

from .tokens import tokens_flush_expired


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def tokens_flush() -> int:
    """Periodic: forget the API's refresh tokens that have expired."""
    return tokens_flush_expired()
