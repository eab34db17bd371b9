"""The language of each request (docs/i18n.md).

Pages live under a language prefix (/nl/, /de/, /fr/, /es/; English has
none), so each address shows one language and can be cached, shared and
indexed as such. The prefix decides. An address without one is English for
anyone who prefers English; anyone else is sent (GET) to the same page under
their language's prefix, their preference being, in order: the account's
language (the profile), the language switcher's cookie, then the browser's
Accept-Language.

The API has no prefixes: its `message` follows Accept-Language alone (a
partner's server sends no cookie and has no profile). An address that is not
a page (the staff admin) is answered in the preferred language where it is.
"""

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Paths outside the language prefixes that read Accept-Language only.
API_PATH = "/api/"


def language_preferred(request) -> str:
    """The language a request prefers when its address names none: the
    account's, then the switcher's cookie, then Accept-Language, then English."""
    user = getattr(request, "user", None)
    try:
        if user is not None and user.is_authenticated and user.language:
            return user.language
    except DatabaseError:
        # The account cannot be read (the database is away): the choice of a
        # language never fails a request; the view answers what it can.
        pass
    return translation.get_language_from_request(request)


def language_from_header(request) -> str:
    """The supported language Accept-Language asks for (English by default)."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary), with the choice
    above. Runs after the session and authentication middleware (it reads the
    account's language) and before CommonMiddleware (whose slash redirect
    resolves addresses under the active language's prefix)."""

    def process_request(self, request):
        path = request.path_info
        language = translation.get_language_from_path(path)
        if language is None:
            if path.startswith(API_PATH):
                language = language_from_header(request)
            else:
                language = language_preferred(request)
                if language != settings.LANGUAGE_CODE and self._has_page_in(request, language):
                    if request.method in ("GET", "HEAD"):
                        return self._redirect(request, language)
                    # A page's unprefixed address is the English page.
                    language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    @staticmethod
    def _has_page_in(request, language: str) -> bool:
        """Whether the address is a page, which `language` has under its
        prefix (the admin is not: it follows the preference where it is)."""
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        with translation.override(language):
            return is_valid_path(f"/{language}{request.path_info}", urlconf)

    def _redirect(self, request, language: str):
        """The same page under `language`'s prefix."""
        script_prefix = get_script_prefix()
        url = request.get_full_path().replace(script_prefix, f"{script_prefix}{language}/", 1)
        redirect = HttpResponseRedirect(url)
        patch_vary_headers(redirect, ("Accept-Language", "Cookie"))
        redirect.headers["Content-Language"] = language
        return redirect

    def process_response(self, request, response):
        if not translation.get_language_from_path(request.path_info):
            # The same address answers differently (or redirects) by preference.
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
