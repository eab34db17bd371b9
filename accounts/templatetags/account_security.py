"""Template filters of the security pages."""

import re

from django import template
from django.utils.translation import gettext as _

from accounts.selectors import user_second_factor_types

register = template.Library()


@register.filter
def second_factors(user) -> set[str]:
    """The kinds of second factor `user` has: {"totp", "webauthn"} or part of it."""
    return user_second_factor_types(user=user)


# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


@register.filter
def device_name(user_agent: str) -> str:
    """The device as people name it ("Firefox on Linux"), from a User-Agent
    header; "Unknown device" when it says nothing we recognise."""
    user_agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        # Translators: a device, e.g. "Firefox on Linux".
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    # Not a browser (a script, an app): its own first word, if it has one.
    word = re.match(r"[\w.-]+", user_agent)
    return word.group(0) if word else _("Unknown device")
