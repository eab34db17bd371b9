"""Links in emails: `{% absolute_url "payments:transaction" transaction_id %}`
is the page's full address (settings.SITE_URL), with the language prefix of
the language the email is rendered in; `{{ path|absolute }}` makes a path
absolute. Both give "" for a page that cannot be named (a missing id), so a
template can leave the link out: `{% absolute_url ... as url %}{% if url %}`."""

from django import template
from django.urls import NoReverseMatch, reverse

from marketplace.core.emails import site_url

register = template.Library()


@register.simple_tag
def absolute_url(name, *args) -> str:
    if any(arg in (None, "") for arg in args):
        return ""
    try:
        return site_url(reverse(name, args=args))
    except NoReverseMatch:
        return ""


@register.filter
def absolute(path) -> str:
    return site_url(str(path)) if path else ""
