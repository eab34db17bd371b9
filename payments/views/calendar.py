"""The buyer's calendar file of a purchase (payments.calendar)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from marketplace.core.errors import NotFound
from payments.calendar import transaction_calendar_for_buyer


@require_GET
@login_required
def transaction_calendar_file(request, transaction_id: int):
    try:
        calendar = transaction_calendar_for_buyer(user=request.user, transaction_id=transaction_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(calendar.content, content_type=f"{calendar.mimetype}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{calendar.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
