"""LOGGING for the settings: JSON lines for a log pipeline, or text for a terminal.

JSON (python-json-logger): one object per line with time, level, logger,
message and request_id, plus whatever a line adds (the access line: method,
path, status, duration_ms, view). Text: the same facts on one readable line.
Every line goes through RequestIdFilter, so it names its request or task.
"""

import logging

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

LOG_FORMATS = ("json", "text")

JSON_FIELDS = ["levelname", "name", "message", "request_id"]
JSON_RENAMED = {"levelname": "level", "name": "logger"}
# Django's request loggers attach the request object itself (its repr carries
# the query string); it stays out of the JSON.
JSON_LEFT_OUT = [*RESERVED_ATTRS, "request", "server_time", "request_label"]


class TextFormatter(logging.Formatter):
    """One readable line; "-" where no request or task is running."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_label)s] %(message)s")

    def format(self, record):
        record.request_label = getattr(record, "request_id", None) or "-"
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING for `log_format` ("json" or "text") at `level`."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "marketplace.core.request_id.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": JSON_RENAMED,
                "reserved_attrs": JSON_LEFT_OUT,
                "timestamp": "time",
            },
            "text": {"()": "marketplace.core.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # The stripe library logs every request at INFO.
            "stripe": {"level": "WARNING"},
            # runserver's own line per request: marketplace.access writes one already.
            "django.server": {"level": "WARNING"},
        },
    }
