"""The Celery app: broker and options come from Django settings (CELERY_*)."""

import os

from celery import Celery, signals

from marketplace.core.request_id import (
    task_postrun_unbind_request_id,
    task_prerun_bind_request_id,
    task_publish_add_request_id,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.base")

app = Celery("encore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task runs under the request id of whatever enqueued it (marketplace.core.request_id).
signals.before_task_publish.connect(task_publish_add_request_id, weak=False)
signals.task_prerun.connect(task_prerun_bind_request_id, weak=False)
signals.task_postrun.connect(task_postrun_unbind_request_id, weak=False)
