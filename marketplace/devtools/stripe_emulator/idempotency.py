"""Stripe's idempotent requests: a POST with an `Idempotency-Key` header is
remembered for 24 hours per (API key, idempotency key).

A repeat with the same endpoint and parameters gets the first response again
(same status and body, header `Idempotent-Replayed: true`), including 4xx
errors; 5xx answers are not kept. The same key with other parameters, or on
another endpoint, is refused with an `idempotency_error`; while the first
request is still running, a repeat gets 409 `idempotency_key_in_use`.
Records live in localstripe's store, so they persist like its objects.
"""

import json
import time
from dataclasses import dataclass

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import store
from localstripe.server import get_api_key, get_post_data, json_response

LIFETIME = 24 * 3600
_running: set[str] = set()


@dataclass(frozen=True)
class Recorded:
    """The first answer to an idempotent request."""

    created: float
    method: str
    path: str
    parameters: str
    status: int
    body: bytes
    content_type: str


def _error(status: int, message: str, type: str, code: str | None = None) -> web.Response:
    error = {"type": type, "message": message}
    if code:
        error["code"] = code
    return json_response({"error": error}, status=status)


async def _scope(request) -> str:
    """Whose key this is: the secret key, or the publishable one in the body."""
    secret = get_api_key(request)
    if secret:
        return secret
    data = await get_post_data(request, remove_auth=False) or {}
    key = data.get("key")
    return key if isinstance(key, str) else ""


@web.middleware
async def idempotency_middleware(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    record_key = f"idempotency:{await _scope(request)}:{key}"
    parameters = json.dumps(await get_post_data(request) or {}, sort_keys=True, default=str)
    recorded = store.get(record_key)
    if recorded is not None and recorded.created + LIFETIME < time.time():
        del store[record_key]
        recorded = None
    if record_key in _running:
        return _error(
            409,
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            "invalid_request_error",
            "idempotency_key_in_use",
        )
    if recorded is not None:
        if (recorded.method, recorded.path) != (request.method, request.path):
            return _error(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{recorded.path}' vs '{request.path}'). Try using a "
                f"key other than '{key}' if you meant to execute a different request.",
                "idempotency_error",
            )
        if recorded.parameters != parameters:
            return _error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                "idempotency_error",
            )
        response = web.Response(
            body=recorded.body, status=recorded.status, content_type=recorded.content_type
        )
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Idempotency-Key"] = key
        return response
    _running.add(record_key)
    try:
        try:
            response = await handler(request)
        except UserError as exc:
            # Stripe keeps the errors an endpoint answers, not only successes.
            response = exc.to_response()
    finally:
        _running.discard(record_key)
    if isinstance(response, web.Response) and response.status < 500:
        store[record_key] = Recorded(
            created=time.time(),
            method=request.method,
            path=request.path,
            parameters=parameters,
            status=response.status,
            body=response.body or b"",
            content_type=response.content_type,
        )
    response.headers["Idempotency-Key"] = key
    return response
