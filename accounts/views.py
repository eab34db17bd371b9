"""The account pages of the site. Sign-up, login, logout, email verification and
password reset are django-allauth's views (templates in templates/account/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from marketplace.core.errors import DomainError
from marketplace.core.forms import form_error_from

from .forms import ProfileForm
from .selectors import user_can_trade, user_security_overview
from .services import user_profile_update


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
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    context = {
        "form": form,
        "profile_user": user,
        "can_trade": user_can_trade(user=user),
        "security": user_security_overview(user=user),
    }
    return render(request, "accounts/profile.html", context)
