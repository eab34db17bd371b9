from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from marketplace.errors import NotFound

from .selectors import ticket_get_for_owner
from .services import ticket_file_open


@require_GET
@login_required
def ticket_file_download(request, ticket_id: int):
    """The ticket's file, to its current owner only; anyone else gets 404 (rule 10)."""
    try:
        ticket = ticket_get_for_owner(owner=request.user, ticket_id=ticket_id)
        handle, content_type, filename = ticket_file_open(user=request.user, ticket=ticket)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    # A ticket is as good as cash: no shared cache keeps it, no browser guesses its type.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
