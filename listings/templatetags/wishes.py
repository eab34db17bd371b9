"""{% wishes_text entry event type_label as wishes %}: what a waiting list entry
waits for, as templates/listings/waitlist/_wishes.html writes it ("2 tickets, up
to €80.00 each, section B"), as a value a sentence can hold (`{% blocktranslate %}`
takes variables, not includes)."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def wishes_text(entry, event, type_label="") -> SafeString:
    # The template escapes what it prints: its output is safe HTML.
    html = render_to_string(
        "listings/waitlist/_wishes.html",
        {"entry": entry, "event": event, "type_label": type_label},
    )
    return SafeString(html.strip())
