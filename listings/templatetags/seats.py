"""{{ ticket|seat_text }}: a ticket's seat as templates/events/_seat.html writes it
("Section A, Row 3, Seat 12", "Unreserved"), as a value a sentence can hold
(`{% blocktranslate %}` takes variables, not includes)."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def seat_text(ticket) -> SafeString:
    # The template escapes what it prints: its output is safe HTML.
    return SafeString(render_to_string("events/_seat.html", {"ticket": ticket}).strip())
