"""Payment jobs: periodic (celery beat, see CELERY_BEAT_SCHEDULE) and after-commit.

Every job takes ids, is idempotent and safe to run twice at once: each item
moves through a conditional UPDATE or a row lock in its service.
"""

from celery import shared_task

from marketplace.core.errors import ServiceUnavailable

from . import services

JOB_OPTIONS = {"acks_late": True, "time_limit": 300, "soft_time_limit": 240}
RETRY_OPTIONS = {
    "autoretry_for": (ServiceUnavailable,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(**JOB_OPTIONS)
def reservations_release_expired() -> int:
    return services.reservations_release_expired()


@shared_task(**JOB_OPTIONS)
def transactions_auto_confirm() -> int:
    return services.transactions_auto_confirm_due()


@shared_task(**JOB_OPTIONS)
def payouts_send_scheduled() -> int:
    """Send scheduled payouts, retry failed ones that are due, release those
    whose seller can now receive money."""
    return services.payouts_send_due()


@shared_task(**JOB_OPTIONS)
def payout_account_reminders() -> int:
    """Remind sellers whose money waits for their payout details."""
    return services.payout_account_reminders()


@shared_task(**JOB_OPTIONS)
def late_payments_refund() -> int:
    """Refund the late payments whose refund task did not run (lost with the broker)."""
    return services.late_payments_refund()


@shared_task(**JOB_OPTIONS)
def payout_send(payout_id: int) -> bool:
    return services.payout_send(payout_id=payout_id)


@shared_task(**JOB_OPTIONS, **RETRY_OPTIONS)
def payment_intent_cancel(transaction_id: int) -> str:
    """Cancel the PaymentIntent of a released transaction."""
    return services.transaction_intent_cancel(transaction_id=transaction_id)


@shared_task(**JOB_OPTIONS, **RETRY_OPTIONS)
def payment_refund_late(transaction_id: int, payment_intent_id: str) -> str:
    """Refund a payment that succeeded after its reservation had been released."""
    return services.transaction_refund_late_payment(
        transaction_id=transaction_id, payment_intent_id=payment_intent_id
    )


@shared_task(
    name="payments.tasks.event_cancellation_run", bind=True, **JOB_OPTIONS, **RETRY_OPTIONS
)
def event_cancellation_run(self, event_id: int) -> bool:
    """Settle one batch of a cancelled event's sales, then enqueue the next
    (events.services publishes this task by name on the cancellation's commit).
    A crash or a lost task is resumed by event_changes_resume."""
    more = services.event_cancellation_step(event_id=event_id)
    if more:
        self.apply_async((event_id,))
    return more


@shared_task(name="payments.tasks.event_moved_notify", bind=True, **JOB_OPTIONS, **RETRY_OPTIONS)
def event_moved_notify(self, event_id: int) -> bool:
    """Tell one batch of a moved event's buyers in escrow, then enqueue the next."""
    more = services.event_moved_notify_step(event_id=event_id)
    if more:
        self.apply_async((event_id,))
    return more


@shared_task(**JOB_OPTIONS)
def event_changes_resume() -> int:
    """Periodic: restart the cancellation runs that never started or stopped
    moving, and tell the buyers of moved events nobody told (the broker was
    down, a worker died). Returns how many jobs it enqueued."""
    cancelled = services.event_cancellations_unfinished()
    moved = services.event_moves_unnotified()
    for event_id in cancelled:
        event_cancellation_run.delay(event_id)
    for event_id in moved:
        event_moved_notify.delay(event_id)
    return len(cancelled) + len(moved)
