"""{% language_links %}: the page in each of the site's languages, for the
footer's switcher and the head's hreflang alternates (marketplace/i18n.py)."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    request = context.get("request")
    # The path alone: query strings (tracking tags) stay out of shared pages.
    path = request.path if request is not None else "/"
    current = get_language()
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        links.append(
            {
                "code": code,
                # Each language's own name for itself (settings.LANGUAGES): "Deutsch".
                "name": name,
                "path": url,
                "url": settings.SITE_URL + url,
                "current": code == current,
            }
        )
    return links
