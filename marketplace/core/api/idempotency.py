"""`Idempotency-Key` on the API's money-spending endpoints (marketplace.core.idempotency)."""

import functools

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from marketplace.core.idempotency import (
    Answer,
    idempotency_claim,
    idempotency_finish,
    idempotency_forget,
    request_fingerprint,
)

HEADER = "Idempotency-Key"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A key of your choice (1 to 255 printable ASCII characters, e.g. a UUID) naming this "
        "request: a retry with the same key and body, for 24 hours, gets the first answer "
        "again (header Idempotent-Replayed: true) and never reserves or charges twice. The "
        "same key with another body answers 422 IDEMPOTENCY_KEY_REUSED; while the first "
        "request runs, a retry waits for its answer, or gets 409 IDEMPOTENCY_KEY_IN_USE."
    ),
)


def idempotent(handler):
    """Wrap an APIView method: with an Idempotency-Key header, the first answer
    (success or refusal) is kept and given again to retries; an answer of 500
    or more is not kept, so a retry then runs again."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(
            method=request.method, path=request.path, body=request.data
        )
        answer = idempotency_claim(user=request.user, key=key, fingerprint=fingerprint)
        if answer is not None:
            return Response(
                answer.body, status=answer.status, headers={"Idempotent-Replayed": "true"}
            )
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (answered in the envelope, as DRF would)
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            idempotency_forget(user=request.user, key=key)
        else:
            idempotency_finish(
                user=request.user,
                key=key,
                answer=Answer(status=response.status_code, body=response.data),
            )
        return response

    return wrapper
