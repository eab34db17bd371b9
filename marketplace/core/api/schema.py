"""OpenAPI helpers: every documented body is the envelope around the real data.

`api_doc(...)` is `extend_schema` with the envelope put around the success
serializer and the shared error envelope on each error status the operation
can answer. The postprocessing hook adds what every operation may answer
(400 bad input, 401 bad token, 429 rate limit) and the bearer security.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from marketplace.core.errors import DomainError

ERROR_CODES = [
    "UNAUTHORIZED",
    "INVALID_CREDENTIALS",
    "TOKEN_EXPIRED",
    "VALIDATION_ERROR",
    "INVALID_INPUT",
    "FORBIDDEN",
    "EMAIL_NOT_VERIFIED",
    "NOT_FOUND",
    "INSUFFICIENT_FUNDS",
    "TICKET_NOT_AVAILABLE",
    "LISTING_EXPIRED",
    "DUPLICATE_TICKET",
    "PAYMENT_FAILED",
    "RATE_LIMIT_EXCEEDED",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
    "IDEMPOTENCY_KEY_IN_USE",
    "IDEMPOTENCY_KEY_REUSED",
    "ACCOUNT_HAS_ESCROW",
    "ACCOUNT_HAS_OPEN_DISPUTE",
]
assert {cls.code for cls in DomainError.__subclasses__()} <= set(ERROR_CODES)  # noqa: S101

ERROR_DESCRIPTIONS = {
    400: "Bad input: VALIDATION_ERROR (details per field) or INVALID_INPUT.",
    401: "No token, a bad or expired token (TOKEN_EXPIRED), or a blocked account.",
    402: "PAYMENT_FAILED: the card was declined; the ticket is on sale again.",
    403: (
        "FORBIDDEN: the account may not do this; EMAIL_NOT_VERIFIED: the account's email "
        "address is not confirmed yet (POST /users/verify with the emailed code)."
    ),
    404: "NOT_FOUND: it does not exist, or it is not yours to see.",
    405: "The method is not allowed on this path.",
    409: (
        "TICKET_NOT_AVAILABLE or DUPLICATE_TICKET: the current state refuses it; "
        "IDEMPOTENCY_KEY_IN_USE: a request with the same Idempotency-Key is still running; "
        "ACCOUNT_HAS_ESCROW or ACCOUNT_HAS_OPEN_DISPUTE: the account cannot be deleted yet."
    ),
    410: "LISTING_EXPIRED.",
    413: "The request body is too large.",
    415: "The body's media type is not accepted here.",
    422: "IDEMPOTENCY_KEY_REUSED: the Idempotency-Key came with a different request before.",
    429: "RATE_LIMIT_EXCEEDED; Retry-After says when to try again.",
    503: "SERVICE_UNAVAILABLE: the payment service or the database did not answer.",
}


class TimestampMeta(serializers.Serializer):
    timestamp = serializers.DateTimeField()


class Pagination(serializers.Serializer):
    page = serializers.IntegerField(
        min_value=1, allow_null=True, help_text="Null for a page asked by cursor."
    )
    limit = serializers.IntegerField(min_value=1)
    total = serializers.IntegerField(min_value=0)
    totalPages = serializers.IntegerField(min_value=0)  # noqa: N815 (the wire name)
    totalExact = serializers.BooleanField(  # noqa: N815 (the wire name)
        help_text="False when the list goes on past the pages served: `total` is then "
        "the number of results that can be paged through, and filters narrow the rest."
    )
    nextCursor = serializers.CharField(  # noqa: N815 (the wire name)
        allow_null=True,
        required=False,
        help_text="Ask ?cursor=<this> for the next page, however deep (past the pages "
        "served by number too); null on the last page. Absent from the short lists "
        "paged in memory (the caller's waiting lists), which take no cursor.",
    )


class PageQuery(serializers.Serializer):
    """The query parameters of every paged list."""

    page = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False, help_text="From 1 (default 1)."
    )
    limit = serializers.IntegerField(
        min_value=1, required=False, help_text="Rows per page, 1 to 100 (default 20)."
    )
    cursor = serializers.CharField(
        required=False,
        help_text="meta.pagination.nextCursor of the page before: the next page, read "
        "from where that one ended (page is then ignored). A cursor that this list did "
        "not give answers 400 VALIDATION_ERROR {field: cursor}. Lists without "
        "nextCursor ignore it.",
    )


class PageMeta(TimestampMeta):
    pagination = Pagination()


class ErrorDetail(serializers.Serializer):
    code = serializers.ChoiceField(choices=ERROR_CODES)
    message = serializers.CharField()
    details = serializers.DictField(child=serializers.JSONField())


class ErrorEnvelope(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    error = ErrorDetail()
    meta = TimestampMeta()


class EncoreJWTScheme(SimpleJWTScheme):
    """Documents the API's JWT authentication as bearer tokens."""

    target_class = "accounts.authentication.EncoreJWTAuthentication"
    name = "jwtAuth"


_ENVELOPES: dict[str, type] = {}


def envelope(serializer_class, *, many: bool = False, paginated: bool = False):
    """A serializer class documenting {success, data: <serializer>, meta}."""
    base = serializer_class.__name__.removesuffix("Serializer").removesuffix("Output")
    name = f"{base}{'Page' if paginated else 'List' if many else ''}Envelope"
    if name not in _ENVELOPES:
        _ENVELOPES[name] = type(
            name,
            (serializers.Serializer,),
            {
                "success": serializers.BooleanField(default=True),
                "data": serializer_class(many=many or paginated),
                "meta": PageMeta() if paginated else TimestampMeta(),
                "__module__": __name__,
            },
        )
    return _ENVELOPES[name]


def api_doc(
    *,
    summary: str,
    tags: list[str],
    response=None,
    status: int = 200,
    many: bool = False,
    paginated: bool = False,
    request=None,
    errors: tuple[int, ...] = (),
    parameters=None,
    description: str = "",
    auth: bool = True,
    operation_id: str | None = None,
):
    """extend_schema for one operation, its success body enveloped."""
    responses = {}
    if response is not None:
        responses[status] = envelope(response, many=many, paginated=paginated)
    else:
        responses[status] = OpenApiResponse(description="No content.")
    for code in errors:
        responses[code] = OpenApiResponse(ErrorEnvelope, description=ERROR_DESCRIPTIONS[code])
    if paginated:
        parameters = [*(parameters or []), PageQuery]
    return extend_schema(
        summary=summary,
        description=description,
        tags=tags,
        request=request,
        responses=responses,
        parameters=parameters,
        auth=None if auth else [],
        operation_id=operation_id,
    )


def add_common_responses(result, generator, request, public):
    """Every operation may answer 400 (bad input), 401 (bad or expired token)
    and 429 (rate limit), and every one that takes a token 403 (an account
    whose email address is not confirmed: EMAIL_NOT_VERIFIED): document them
    once, here."""
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            takes_token = any(requirement for requirement in operation.get("security") or [])
            for code in (400, 401, 403, 429) if takes_token else (400, 401, 429):
                responses.setdefault(
                    str(code),
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
            responses["429"].setdefault(
                "headers",
                {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
            )
    return result
