"""Domain errors: each carries the API error code and the details it reports.

Services raise them; the API's exception handler turns them into the envelope
and the HTML views into a form or page error (STYLE.md, 3). The messages are
for people, in the active language: an error's message is fixed when it is
raised (a default message is translated then).
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "INVALID_INPUT"
    http_status = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, details=None):
        self.message = str(message or self.default_message)
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    http_status = 400
    default_message = _("Some of the data is not valid.")


class PermissionDenied(DomainError):
    code = "FORBIDDEN"
    http_status = 403
    default_message = _("You are not allowed to do this.")


class EmailNotVerified(DomainError):
    """The right password, for an account whose email address nobody has
    confirmed yet: no token until its owner proves the inbox is theirs."""

    code = "EMAIL_NOT_VERIFIED"
    http_status = 403
    default_message = _("Confirm your email address first: we have emailed you a code.")


class NotFound(DomainError):
    code = "NOT_FOUND"
    http_status = 404
    default_message = _("Not found.")


class TicketNotAvailable(DomainError):
    code = "TICKET_NOT_AVAILABLE"
    http_status = 409
    default_message = _("This ticket is no longer available.")


class ListingExpired(DomainError):
    code = "LISTING_EXPIRED"
    http_status = 410
    default_message = _("This listing has expired.")


class DuplicateTicket(DomainError):
    code = "DUPLICATE_TICKET"
    http_status = 409
    default_message = _("A ticket with this barcode is already on Encore.")


class PaymentFailed(DomainError):
    code = "PAYMENT_FAILED"
    http_status = 402
    default_message = _("The payment was declined.")


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    http_status = 503
    default_message = _("A service Encore depends on is unavailable. Please try again.")


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    http_status = 401
    default_message = _("Authentication is required.")


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    http_status = 401
    default_message = _("The email address or the password is wrong.")


class TokenExpired(DomainError):
    code = "TOKEN_EXPIRED"
    http_status = 401
    default_message = _("The token has expired.")


class RateLimitExceeded(DomainError):
    code = "RATE_LIMIT_EXCEEDED"
    http_status = 429
    default_message = _("Too many requests. Please wait before trying again.")

    def __init__(self, message=None, *, retry_after: int = 60, details=None):
        self.retry_after = max(int(retry_after), 1)
        super().__init__(message, details={"retryAfter": self.retry_after, **(details or {})})


class RequestTooLarge(DomainError):
    code = "INVALID_INPUT"
    http_status = 413
    default_message = _("The request is too large.")


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    http_status = 422
    default_message = _(
        "This Idempotency-Key was already used with another request: use a new key for a new "
        "request."
    )


class IdempotencyKeyInUse(DomainError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    http_status = 409
    default_message = _(
        "A request with this Idempotency-Key is still running: retry in a moment to get its answer."
    )
