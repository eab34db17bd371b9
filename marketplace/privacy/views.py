"""The profile's "Your data" pages: download a copy, delete the account."""

import json

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.core.errors import DomainError
from marketplace.core.forms import form_error_from

from .deletion import account_delete_by_owner, account_deletion_blocker
from .export import user_data_export
from .forms import AccountDeleteForm


def export_filename() -> str:
    return f"encore-data-{timezone.localdate().isoformat()}.json"


def export_response(document: dict) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def data_export(request):
    """Download my data: the account's whole record as a JSON file."""
    return export_response(user_data_export(user=request.user))


def _without_password(request) -> bool:
    # An account with no password proves it is its owner through allauth's
    # reauthentication (as for two-step login's settings) instead.
    return not request.user.has_usable_password()


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(enabled=_without_password, allow_get=True)
def account_delete_page(request):
    """Delete my account: the confirmation form; a refusal (money still held,
    a dispute open) is shown as the form's error."""
    data = request.POST if request.method == "POST" else None
    form = AccountDeleteForm(data, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_delete_by_owner(user=request.user, password=form.cleaned_data.get("password"))
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            logout(request)
            messages.success(
                request,
                _("Your account is deleted. Thank you for using Encore."),
            )
            return redirect("/")
    context = {"form": form, "blocker": account_deletion_blocker(user=request.user)}
    return render(request, "privacy/delete_account.html", context)
