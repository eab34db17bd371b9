"""Stripe's webhook endpoint: verified and applied by payments.services.webhooks."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.core.errors import ServiceUnavailable, ValidationFailed
from payments.services import stripe_event_receive

# Stripe's events are at most a few hundred KB; anything bigger is not Stripe.
MAX_WEBHOOK_BYTES = 512 * 1024


def _refused(message: str, *, status: int, code: str = "VALIDATION_ERROR") -> JsonResponse:
    return JsonResponse(
        {"success": False, "error": {"code": code, "message": message}}, status=status
    )


@csrf_exempt  # Stripe cannot send our CSRF token; the signature authenticates it.
@require_POST
def stripe_webhook(request):
    """Stripe's webhook: 200 once the event is recorded (or was already), 400
    when the signature is wrong; 503 when applying it needs Stripe (a transfer
    reversal) and Stripe is out of reach; any other failure answers 500. On
    anything but 200 nothing is recorded and Stripe delivers it again later."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refused("The request's length is not a number.", status=400)
    if declared > MAX_WEBHOOK_BYTES:
        return _refused("Too large.", status=413)
    try:
        new = stripe_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except ValidationFailed as exc:
        return _refused(exc.message, status=400)
    except ServiceUnavailable as exc:
        return _refused(exc.message, status=503, code=exc.code)
    return JsonResponse({"success": True, "data": {"received": True, "replay": not new}})
