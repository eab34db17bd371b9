"""One mapping of domain errors for the site's pages, as the API has its
exception handler (marketplace.core.api.errors).

A page's view calls a service or a selector and lets the domain errors it has
nothing particular to say about escape; this middleware answers them:

- NotFound: the 404 page (the error's message is not shown: the page says
  only that there is nothing here, as for an unknown URL).
- PermissionDenied: the 403 page.
- Any other domain error: after a form post, the error's message as a flash
  message on the page the form was on (the Referer, when it is ours) or the
  home page; on a GET, the 400 page (503 when the error is an outage of a
  service Encore relies on, such as Stripe).

What a view does say about an error (a message on a form field, another page
to go to) it still says itself, with form_error_from or its own except.
Requests to the API never get here: DRF's handler answers them first.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from marketplace.core.errors import DomainError, NotFound, PermissionDenied, ServiceUnavailable


def page_to_return_to(request) -> str:
    """The page a refused form post goes back to: the Referer when it is one
    of ours (same host and scheme), else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


class PageErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, PermissionDenied):
            raise DjangoPermissionDenied(exception.message) from exception
        if request.method == "POST":
            messages.error(request, exception.message)
            return HttpResponseRedirect(page_to_return_to(request))
        if isinstance(exception, ServiceUnavailable):
            return HttpResponse(loader.render_to_string("503.html", request=request), status=503)
        return defaults.bad_request(request, exception)
