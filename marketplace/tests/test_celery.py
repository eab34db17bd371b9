from django.conf import settings

from marketplace.celery import app


def test_every_periodic_job_names_a_registered_task():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "payments.tasks.reservations_release_expired",
        "payments.tasks.transactions_auto_confirm",
        "payments.tasks.payouts_send_scheduled",
        "listings.tasks.listings_expire",
        "messaging.tasks.emails_send_ready",
    }
    assert scheduled <= set(app.tasks)


def test_tasks_are_acknowledged_after_they_run():
    # A worker that dies mid-task leaves the message to be delivered again.
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
