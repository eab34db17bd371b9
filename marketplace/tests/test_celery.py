import pytest
from django.conf import settings

from marketplace.celery import app
from marketplace.devtools.periodic import run_due_jobs


def test_every_periodic_job_names_a_registered_task():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "payments.tasks.reservations_release_expired",
        "listings.tasks.waitlist_offers_move_on",
        "payments.tasks.transactions_auto_confirm",
        "payments.tasks.payouts_send_scheduled",
        "payments.tasks.late_payments_refund",
        "listings.tasks.listings_expire",
        "listings.tasks.rejected_traders_listings_withdraw",
        "messaging.tasks.emails_send_ready",
        "accounts.tasks.tokens_flush",
        "payments.tasks.payout_account_reminders",
        "marketplace.core.tasks.idempotency_keys_purge",
        "tickets.tasks.ticket_transfers_expire",
        "payments.tasks.event_changes_resume",
    }
    assert scheduled <= set(app.tasks)


def test_tasks_are_acknowledged_after_they_run():
    # A worker that dies mid-task leaves the message to be delivered again.
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True


@pytest.mark.django_db(transaction=True)
def test_the_embedded_run_runs_each_job_at_its_interval():
    last_runs = {}

    first = run_due_jobs(last_runs, now=1000.0)
    soon = run_due_jobs(last_runs, now=1030.0)
    later = run_due_jobs(last_runs, now=1061.0)

    assert first == list(settings.CELERY_BEAT_SCHEDULE)
    # The waiting list's job runs every 30 seconds; the one-minute jobs come
    # round again after a minute; the others wait their turn.
    assert soon == ["move-waitlist-offers-on"]
    assert later == [
        "release-expired-reservations",
        "send-ready-emails",
        "move-waitlist-offers-on",
    ]
