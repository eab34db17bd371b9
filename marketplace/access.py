"""The first middleware: each request gets its id, its access log line and its
latency in the metrics.

The id comes from the proxy's REQUEST_ID_HEADER when it sends a safe token
(marketplace.core.request_id), else it is made here; it is returned in the
response's X-Request-ID header and bound for the whole request, so every log
line, audit row, Sentry event and Celery task of the request carries it.
"""

import logging
import time

from django.conf import settings

from marketplace.core import metrics
from marketplace.core.request_id import request_id_accept, request_id_bound, sentry_tag_request_id

logger = logging.getLogger("marketplace.access")

RESPONSE_HEADER = "X-Request-ID"


def view_label(request) -> str:
    """The URL's name (never the raw path, which would make a series per ticket
    id); "static" for WhiteNoise's files and "unmatched" for unknown paths."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


class AccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = settings.REQUEST_ID_HEADER
        request_id = request_id_accept(request.headers.get(header) if header else None)
        request.request_id = request_id
        started = time.perf_counter()
        with request_id_bound(request_id):
            sentry_tag_request_id(request_id)
            response = self.get_response(request)
            # Until the response is built: a streamed file's bytes are not timed.
            seconds = time.perf_counter() - started
            response[RESPONSE_HEADER] = request_id
            view = view_label(request)
            metrics.request_observe(
                view=view, method=request.method, status=response.status_code, seconds=seconds
            )
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "view": view,
                },
            )
        return response
