"""The account pages of the site. Sign-up, login, logout, email verification and
password reset are django-allauth's views (templates in templates/account/)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.core.client_ip import client_ip
from marketplace.core.errors import DomainError
from marketplace.core.forms import form_error_from
from marketplace.core.image_hosts import image_origin

from .forms import ProfileForm, TraderDeclarationForm
from .selectors import user_can_trade, user_security_overview
from .services import user_profile_update
from .traders import (
    TRADER_REQUIRED,
    trader_declaration_get,
    trader_declaration_save,
    trader_missing_fields,
)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm.for_user(user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, **form.profile_changes(user))
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    context = {
        "form": form,
        "profile_user": user,
        "can_trade": user_can_trade(user=user),
        "security": user_security_overview(user=user),
    }
    response = render(request, "accounts/profile.html", context)
    # The member's own avatar, wherever it is: the policy allows that one origin here.
    response.csp_img_sources = [origin] if (origin := image_origin(user.avatar_url)) else []
    return response


@login_required
@require_http_methods(["GET", "POST"])
def selling_as(request):
    """Selling as: a private person or a trader, with the trader's details
    (accounts.traders). Missing details are saved as far as given and shown as
    errors on their fields: listing waits for them."""
    declaration = trader_declaration_get(user=request.user)
    data = request.POST if request.method == "POST" else None
    form = TraderDeclarationForm.for_declaration(declaration, data=data)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = trader_declaration_save(
                user=request.user, ip_address=client_ip(request), **form.declaration()
            )
        except DomainError as exc:
            form_error_from(form, exc)
        else:
            missing = trader_missing_fields(declaration)
            if not missing:
                messages.success(request, _("Saved: this is how buyers see you."))
                return redirect("accounts:selling-as")
            for name in missing:
                form.add_error(name, TRADER_REQUIRED[name])
            messages.warning(
                request,
                _(
                    "Saved, but your business details are not complete: add the missing ones "
                    "below before you put tickets on sale."
                ),
            )
    context = {
        "form": form,
        "declaration": declaration,
        "missing": trader_missing_fields(declaration) if declaration else [],
        "required": list(TRADER_REQUIRED),
        "threshold": settings.TRADER_THRESHOLD_TICKETS_PER_YEAR,
    }
    return render(request, "accounts/selling_as.html", context)
