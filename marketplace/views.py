from django.conf import settings
from django.shortcuts import redirect, render
from django.templatetags.static import static


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return redirect(static("img/favicon.svg"), permanent=True)


def accessibility_statement(request):
    """The accessibility statement: the standard we aim for, how we test, what
    is known not to meet it yet, and whom to tell about a barrier."""
    context = {
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "reservation_minutes": settings.RESERVATION_MINUTES,
    }
    return render(request, "accessibility.html", context)
