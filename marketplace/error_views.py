"""What the API answers outside its endpoints: unknown paths and server errors
under /api/ in the envelope; the site's own pages elsewhere."""

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from marketplace.core.api.envelope import error_body
from marketplace.core.api.errors import (
    DATABASE_UNAVAILABLE,
    DATABASE_UNAVAILABLE_MESSAGE,
    RETRY_AFTER_SECONDS,
)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt  # the API authenticates with tokens, never with a session cookie
def api_not_found(request, *args, **kwargs):
    return JsonResponse(error_body("NOT_FOUND", _("There is no such API endpoint.")), status=404)


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def service_unavailable(request):
    """The database could not be reached: 503 with Retry-After, not a 500."""
    if _is_api(request):
        response = JsonResponse(
            error_body("SERVICE_UNAVAILABLE", str(DATABASE_UNAVAILABLE_MESSAGE)), status=503
        )
    else:
        # A standalone page: rendering it needs no database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    # Django calls this while handling the exception, which sys.exc_info() names.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    if _is_api(request):
        body = error_body(
            "INTERNAL_ERROR", _("Something went wrong on our side. Please try again.")
        )
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        body = error_body("FORBIDDEN", _("The request was refused (CSRF check)."))
        return JsonResponse(body, status=403)
    return csrf.csrf_failure(request, reason=reason)
