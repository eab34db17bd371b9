"""Writing in a transaction's thread: the form at the foot of the transaction
page (payments.views.sales), which comes back with the refused message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.core.client_ip import client_ip
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.forms import form_error_from
from messaging.forms import MessageForm
from messaging.services import message_send
from payments.selectors import transaction_get_for_party

from .sales import render_transaction_page


@require_POST
@login_required
def message_send_page(request, transaction_id: int):
    """The buyer or the seller writes to the other party of a transaction.

    Not theirs, and staff (who read threads but do not write in them): the
    services' NotFound, answered with the 404 page by marketplace.page_errors."""
    txn = transaction_get_for_party(user=request.user, transaction_id=transaction_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message_send(
                sender=request.user,
                transaction=txn,
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
            )
        except (ValidationFailed, PermissionDenied) as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect(reverse("payments:transaction", args=[txn.pk]) + "#messages")
    return render_transaction_page(request, txn, message_form=form)
