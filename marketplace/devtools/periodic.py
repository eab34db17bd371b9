"""The periodic jobs of the embedded run, without a broker or celery beat.

`make run` has no Celery worker: tasks run eagerly in the web process. So that
reservations still expire and escrows still release there, `runlocal` runs
CELERY_BEAT_SCHEDULE's jobs from a background thread. Production runs
`celery beat` instead (see docker-compose.yml).
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_due_jobs(last_runs: dict, now: float) -> list[str]:
    """Run each scheduled job whose interval has passed since `last_runs[name]`
    (never run: due at once); update `last_runs`; return the names run."""
    from marketplace.celery import app

    app.loader.import_default_modules()
    ran = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if now - last_runs.get(name, float("-inf")) < float(entry["schedule"]):
            continue
        last_runs[name] = now
        try:
            app.tasks[entry["task"]].apply(throw=True)
        except Exception:
            logger.exception("Periodic job %s failed; it runs again at its next turn.", name)
        ran.append(name)
    return ran


def periodic_jobs_start(*, tick: float = 5.0) -> threading.Event:
    """Start the jobs' thread; set the returned event to stop it."""
    stop = threading.Event()

    def loop():
        last_runs: dict = {}
        while not stop.wait(tick):
            close_old_connections()
            run_due_jobs(last_runs, time.monotonic())

    threading.Thread(target=loop, name="periodic-jobs", daemon=True).start()
    return stop
