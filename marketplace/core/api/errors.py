"""One exception handler for the API: domain errors, DRF's own errors and
anything unexpected all answer in the envelope, with a code from the list in
ARCHITECTURE.md ("API") and never a stack trace."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response

from marketplace.core import errors

from .envelope import error_body

logger = logging.getLogger("marketplace.core.api")


class TokenExpiredFailed(exceptions.AuthenticationFailed):
    """The token was valid but is past its expiry: the client should refresh it."""

    default_detail = gettext_lazy("The access token has expired; refresh it.")
    default_code = "token_expired"


# DRF's exceptions that are not about the data's content: their status stays,
# the code says what kind of problem the request has.
_DRF_CODES = (
    (TokenExpiredFailed, "TOKEN_EXPIRED"),
    (exceptions.NotAuthenticated, "UNAUTHORIZED"),
    (exceptions.AuthenticationFailed, "UNAUTHORIZED"),
    (exceptions.PermissionDenied, "FORBIDDEN"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.Throttled, "RATE_LIMIT_EXCEEDED"),
    (exceptions.ParseError, "INVALID_INPUT"),
    (exceptions.UnsupportedMediaType, "INVALID_INPUT"),
    (exceptions.MethodNotAllowed, "INVALID_INPUT"),
    (exceptions.NotAcceptable, "INVALID_INPUT"),
)


def _validation_details(detail) -> dict:
    """Serializer errors as {"field": the first field, "fields": {name: [messages]}}."""
    if isinstance(detail, dict):
        fields = {name: messages for name, messages in detail.items()}
        first = next(iter(fields), None)
        return {"field": first, "fields": fields} if first else {"fields": fields}
    return {"errors": list(detail) if isinstance(detail, list) else [str(detail)]}


def _domain_response(exc: errors.DomainError) -> Response:
    headers = {}
    if isinstance(exc, errors.RateLimitExceeded):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(
        error_body(exc.code, exc.message, exc.details), status=exc.http_status, headers=headers
    )


def _drf_response(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(int(exc.wait), 1))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "VALIDATION_ERROR", _("Some of the data is not valid."), _validation_details(exc.detail)
        )
        return Response(body, status=400, headers=headers)
    code = next((code for kind, code in _DRF_CODES if isinstance(exc, kind)), "INVALID_INPUT")
    detail = exc.detail
    message = str(detail.get("detail", "")) if isinstance(detail, dict) else str(detail)
    return Response(
        error_body(code, message or str(exc.default_detail)),
        status=exc.status_code,
        headers=headers,
    )


# The database cannot be reached (down, restarting, failing over) or gave up
# on the request: its transaction was rolled back, and the same request may
# work shortly, so the answer is 503 with Retry-After rather than a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE_MESSAGE = gettext_lazy(
    "Encore is briefly unavailable; please try again in a moment."
)
RETRY_AFTER_SECONDS = 30


def api_exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        return _domain_response(exc)
    if isinstance(exc, Http404):
        return _domain_response(errors.NotFound())
    if isinstance(exc, DjangoPermissionDenied):
        return _domain_response(errors.PermissionDenied())
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("INVALID_INPUT", _("The request is too large.")), status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("INVALID_INPUT", _("The request was refused.")), status=400)
    if isinstance(exc, exceptions.APIException):
        return _drf_response(exc)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("The database is unavailable: %s", exc)
        return Response(
            error_body("SERVICE_UNAVAILABLE", str(DATABASE_UNAVAILABLE_MESSAGE)),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # Anything else is a bug: log it whole, tell the client nothing of it.
    view = context.get("view")
    logger.exception("Unexpected error in %s", type(view).__name__ if view else "the API")
    return Response(
        error_body("INTERNAL_ERROR", _("Something went wrong on our side. Please try again.")),
        status=500,
    )
